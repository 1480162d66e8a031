/**
 * Decode model: what a configuration delivers in tokens per second on an LLM's decode step,
 * from the verified cycle formulas (gemvCycles, mhaAttentionCycles), the clock and the memory
 * bandwidth. Each phase of a layer takes the longer of its compute time and its traffic time;
 * phases run one after another. Every assumption is returned beside the figure.
 */
import { gemvCycles, mhaAttentionCycles } from './mha.ts';
import type { LaneTiming } from './lane.ts';

export interface ModelShape {
  readonly name: string;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly headDim: number;
  /** FFN width; `gated`: SwiGLU (gate and up projections, then down), else up then down. */
  readonly ffn: number;
  readonly gated: boolean;
  readonly vocab: number;
  readonly source: string;
}

/** The model shapes, with where they come from. */
export const MODELS: readonly ModelShape[] = [
  {
    name: 'LLaMA2-7B', layers: 32, hidden: 4096, heads: 32, headDim: 128, ffn: 11008, gated: true, vocab: 32000,
    source: 'meta-llama/Llama-2-7b-hf config.json: num_hidden_layers 32, hidden_size 4096, num_attention_heads 32 (= num_key_value_heads), intermediate_size 11008, vocab_size 32000',
  },
  {
    name: 'ChatGLM-6B', layers: 28, hidden: 4096, heads: 32, headDim: 128, ffn: 16384, gated: false, vocab: 130528,
    source: 'THUDM/chatglm-6b configuration_chatglm.py: num_layers 28, hidden_size 4096, num_attention_heads 32, inner_hidden_size 16384, vocab_size 130528 (dense_h_to_4h / dense_4h_to_h MLP, GELU)',
  },
];

export interface DecodeConfig {
  /** Lanes H, tiles per lane T (DSPs per lane). */
  readonly H: number;
  readonly T: number;
  readonly timing: LaneTiming;
  /** GEMV scale group. */
  readonly G: number;
  /** Clock in MHz and memory bandwidth in GB/s (1e9 bytes per second). */
  readonly clockMHz: number;
  readonly bandwidthGBs: number;
  /** Bytes per element of the KV cache (4: FXP32 Q15.17). */
  readonly kvBytes: number;
  /** Total DSPs of the design (for the compute bound). */
  readonly dsp: number;
}

export interface DecodeResult {
  readonly model: string;
  readonly weights: 4 | 8;
  readonly L: number;
  readonly tokensPerSecond: number;
  /** Time per token, and its parts. */
  readonly msPerToken: number;
  readonly gemvMs: number;
  readonly attentionMs: number;
  /** Share of the time each phase spends limited by memory traffic rather than compute. */
  readonly memoryBoundShare: number;
  readonly bound: { readonly weightStreaming: number; readonly dspCompute: number };
  readonly assumptions: string[];
}

interface Gemv {
  readonly M: number;
  readonly N: number;
}

function layerGemvs(s: ModelShape): Gemv[] {
  const h = s.hidden;
  const qkv = { M: 3 * s.heads * s.headDim, N: h };
  const out = { M: h, N: s.heads * s.headDim };
  const ffn = s.gated ? [{ M: 2 * s.ffn, N: h }, { M: h, N: s.ffn }] : [{ M: s.ffn, N: h }, { M: h, N: s.ffn }];
  return [qkv, out, ...ffn];
}

/** The decode step of `model` at context L with `weights`-bit weights. */
export function decodeEstimate(model: ModelShape, weights: 4 | 8, L: number, c: DecodeConfig): DecodeResult {
  const hz = c.clockMHz * 1e6;
  const bps = c.bandwidthGBs * 1e9;
  const weightBytes = (g: Gemv): number => (g.M * g.N * weights) / 8 + g.M * (g.N / c.G) * 2;
  let gemvS = 0;
  let attnS = 0;
  let memS = 0;
  let macs = 0;
  let wBytes = 0;
  const phase = (cycles: number, bytes: number): number => {
    const t = Math.max(cycles / hz, bytes / bps);
    if (bytes / bps > cycles / hz) memS += t;
    return t;
  };
  const gemv = (g: Gemv): number => {
    macs += g.M * g.N;
    wBytes += weightBytes(g);
    // x in (N bytes) and y out (M 6-byte rows) are small beside the weights; counted anyway.
    return phase(gemvCycles({ M: g.M, N: g.N, G: c.G, T: c.T, H: c.H }), weightBytes(g) + g.N + 6 * g.M);
  };
  for (let l = 0; l < model.layers; l++) {
    for (const g of layerGemvs(model)) gemvS += gemv(g);
    // Attention: the KV cache of L tokens, read once (k and v), q in, o out.
    const kvBytes = 2 * L * model.heads * model.headDim * c.kvBytes;
    attnS += phase(mhaAttentionCycles(c.timing, c.H, model.heads, L), kvBytes);
  }
  gemvS += gemv({ M: model.vocab, N: model.hidden });
  const total = gemvS + attnS;
  const peakMacsPerCycle = 2 * c.H * c.T;
  return {
    model: model.name,
    weights,
    L,
    tokensPerSecond: 1 / total,
    msPerToken: total * 1e3,
    gemvMs: gemvS * 1e3,
    attentionMs: attnS * 1e3,
    memoryBoundShare: memS / total,
    bound: {
      weightStreaming: bps / wBytes,
      dspCompute: (peakMacsPerCycle * hz) / macs,
    },
    assumptions: [
      `clock ${c.clockMHz.toFixed(0)} MHz (the report's estimate), memory ${c.bandwidthGBs} GB/s`,
      `${c.H} lanes x ${c.T} DSP tiles, ${peakMacsPerCycle} GEMV MACs per cycle at peak; GEMV cycles from gemvCycles (scale group ${c.G}), attention cycles from mhaAttentionCycles`,
      `per layer: QKV (${3 * model.hidden} x ${model.hidden}), output (${model.hidden} x ${model.hidden}), FFN ${model.gated ? `gate+up (${2 * model.ffn} x ${model.hidden}) and down` : `up (${model.ffn} x ${model.hidden}) and down`} (${model.hidden} x ${model.ffn}); then the LM head (${model.vocab} x ${model.hidden}) once per token`,
      `weights ${weights}-bit with a 16-bit scale per row and group of ${c.G}; KV cache ${c.kvBytes} bytes per element (FXP32), read once per token and layer`,
      'each phase takes max(compute, traffic) and phases do not overlap; embedding, norms, activations, RoPE and sampling are not counted (not on the accelerator)',
      `model shape: ${model.source}`,
    ],
  };
}
