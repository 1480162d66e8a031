/**
 * A small SVG chart writer for the bench report: line charts (cycles or error against L), grouped
 * bar charts (resources) and scatter charts (the design-space map with its Pareto front). Our own
 * ~200 lines rather than a plotting library: the charting libraries that write SVG (d3, vega)
 * need a DOM or a large runtime for four static charts, and this output is plain text we can
 * test. Coordinates are rounded to 0.1 px so the files are stable across runs.
 */

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Dashed line (e.g. a bound or a formula extension). */
  dashed?: boolean;
}

export interface AxisOptions {
  label: string;
  log?: boolean;
  /** Explicit tick values (default: 1-2-5 steps, or decades on a log axis). */
  ticks?: readonly number[];
}

export interface LineChart {
  title: string;
  x: AxisOptions;
  y: AxisOptions;
  series: readonly Series[];
}

export interface BarChart {
  title: string;
  y: AxisOptions;
  categories: readonly string[];
  series: readonly { name: string; values: readonly number[] }[];
}

export interface ScatterPoint {
  x: number;
  y: number;
  label?: string;
  /** Drawn filled and labelled (e.g. on the Pareto front). */
  highlight: boolean;
}

export interface ScatterChart {
  title: string;
  x: AxisOptions;
  y: AxisOptions;
  points: readonly ScatterPoint[];
  /** Legend text of highlighted and other points. */
  legend: readonly [string, string];
}

const W = 720;
const H = 420;
const M = { left: 80, right: 190, top: 40, bottom: 56 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/** Tick label: compact, exact for integers below 1e6. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

interface Scale {
  map: (v: number) => number;
  ticks: number[];
}

/** 1-2-5 ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Decades covering [lo, hi] (with 2 and 5 between them when the range is under two decades). */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const k of b - a <= 2 ? [1, 2, 5] : [1]) out.push(Number((k * 10 ** e).toPrecision(12)));
  return out.filter((t) => t >= lo / 1.0001 && t <= hi * 1.0001);
}

function makeScale(values: readonly number[], axis: AxisOptions, from: number, to: number, what: string, zeroBase: boolean): Scale {
  const bad = values.find((v) => !Number.isFinite(v) || (axis.log === true && v <= 0));
  if (bad !== undefined) throw new RangeError(`${what} axis '${axis.label}': value ${bad} cannot be plotted${axis.log ? ' on a log axis (accepted: finite and > 0)' : ' (accepted: finite numbers)'}`);
  if (values.length === 0) throw new RangeError(`${what} axis '${axis.label}': no values to plot`);
  let lo = Math.min(...values, ...(axis.ticks ?? []));
  let hi = Math.max(...values, ...(axis.ticks ?? []));
  if (axis.log) {
    if (lo === hi) {
      lo /= 2;
      hi *= 2;
    }
    const [l, h] = [Math.log10(lo), Math.log10(hi)];
    const pad = (h - l) * 0.04;
    const L0 = l - pad;
    const L1 = h + pad;
    return { map: (v) => from + ((Math.log10(v) - L0) / (L1 - L0)) * (to - from), ticks: [...(axis.ticks ?? logTicks(lo, hi))] };
  }
  if (zeroBase) lo = Math.min(0, lo);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const ticks = axis.ticks ? [...axis.ticks] : niceTicks(lo, hi);
  const t0 = Math.min(lo, ticks[0]!);
  const t1 = Math.max(hi, ticks.at(-1)!);
  return { map: (v) => from + ((v - t0) / (t1 - t0)) * (to - from), ticks: ticks.filter((t) => t >= t0 && t <= t1) };
}

function frame(title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
}

function axes(x: Scale | null, y: Scale, xLabel: string, yLabel: string): string[] {
  const out: string[] = [];
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  out.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#333"/>`);
  for (const t of y.ticks) {
    const py = r1(y.map(t));
    out.push(`<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#ddd"/>`, `<text x="${x0 - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatTick(t))}</text>`);
  }
  if (x) {
    for (const t of x.ticks) {
      const px = r1(x.map(t));
      out.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y1}" stroke="#eee"/>`, `<text x="${px}" y="${y0 + 16}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
    }
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text x="18" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(y0 + y1) / 2})">${escapeXml(yLabel)}</text>`);
  return out;
}

function legend(entries: readonly { name: string; color: string; dashed?: boolean; marker?: 'filled' | 'hollow' }[]): string[] {
  const x = W - M.right + 14;
  return entries.flatMap((e, i) => {
    const y = M.top + 10 + i * 18;
    const mark = e.marker
      ? `<circle cx="${x + 10}" cy="${y}" r="4" fill="${e.marker === 'filled' ? e.color : 'white'}" stroke="${e.color}"/>`
      : `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
    return [mark, `<text x="${x + 28}" y="${y}" dominant-baseline="middle">${escapeXml(e.name)}</text>`];
  });
}

export function lineChart(c: LineChart): string {
  if (c.series.length === 0) throw new RangeError(`chart '${c.title}': no series`);
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1]));
  const x = makeScale(xs, c.x, M.left, W - M.right, 'x', false);
  const y = makeScale(ys, c.y, H - M.bottom, M.top, 'y', false);
  const out = [...frame(c.title), ...axes(x, y, c.x.label, c.y.label)];
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.map((p) => `${r1(x.map(p[0]))},${r1(y.map(p[1]))}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [px, py] = p.split(',');
      out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
  });
  out.push(...legend(c.series.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length]!, ...(s.dashed ? { dashed: true } : {}) }))), '</svg>');
  return out.join('\n') + '\n';
}

export function barChart(c: BarChart): string {
  if (c.categories.length === 0 || c.series.length === 0) throw new RangeError(`chart '${c.title}': no bars`);
  for (const s of c.series) {
    if (s.values.length !== c.categories.length) throw new RangeError(`chart '${c.title}': series '${s.name}' has ${s.values.length} values for ${c.categories.length} categories`);
  }
  const y = makeScale(c.series.flatMap((s) => s.values), c.y, H - M.bottom, M.top, 'y', true);
  const out = [...frame(c.title), ...axes(null, y, '', c.y.label)];
  const x0 = M.left;
  const width = (W - M.right - x0) / c.categories.length;
  const bar = (width * 0.8) / c.series.length;
  const base = c.y.log ? H - M.bottom : y.map(0);
  c.categories.forEach((cat, i) => {
    const cx = x0 + width * i + width / 2;
    out.push(`<text x="${r1(cx)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(cat)}</text>`);
    c.series.forEach((s, j) => {
      const v = s.values[i]!;
      const top = y.map(v);
      const bx = x0 + width * i + width * 0.1 + bar * j;
      out.push(`<rect x="${r1(bx)}" y="${r1(Math.min(top, base))}" width="${r1(bar)}" height="${r1(Math.abs(base - top))}" fill="${COLORS[j % COLORS.length]}"><title>${escapeXml(`${cat} ${s.name}: ${formatTick(v)}`)}</title></rect>`);
    });
  });
  out.push(...legend(c.series.map((s, j) => ({ name: s.name, color: COLORS[j % COLORS.length]! }))), '</svg>');
  return out.join('\n') + '\n';
}

export function scatterChart(c: ScatterChart): string {
  if (c.points.length === 0) throw new RangeError(`chart '${c.title}': no points`);
  const x = makeScale(c.points.map((p) => p.x), c.x, M.left, W - M.right, 'x', false);
  const y = makeScale(c.points.map((p) => p.y), c.y, H - M.bottom, M.top, 'y', false);
  const out = [...frame(c.title), ...axes(x, y, c.x.label, c.y.label)];
  const [hi, lo] = [COLORS[1]!, COLORS[0]!];
  // Others first, so the highlighted points are drawn on top.
  for (const p of [...c.points].sort((a, b) => Number(a.highlight) - Number(b.highlight))) {
    const px = r1(x.map(p.x));
    const py = r1(y.map(p.y));
    out.push(`<circle cx="${px}" cy="${py}" r="${p.highlight ? 5 : 4}" fill="${p.highlight ? hi : 'white'}" stroke="${p.highlight ? hi : lo}"${p.label ? `><title>${escapeXml(p.label)}</title></circle>` : '/>'}`);
    if (p.highlight && p.label) out.push(`<text x="${px}" y="${r1(y.map(p.y) - 8)}" text-anchor="middle" font-size="10">${escapeXml(p.label)}</text>`);
  }
  out.push(...legend([{ name: c.legend[0], color: hi, marker: 'filled' }, { name: c.legend[1], color: lo, marker: 'hollow' }]), '</svg>');
  return out.join('\n') + '\n';
}
