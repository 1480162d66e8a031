/**
 * Verilog identifiers: legality, keywords (Verilog-2005 and SystemVerilog, since Verilator
 * lints as SystemVerilog) and uniquifying. Names the user wrote are kept; a keyword gets a
 * trailing underscore (`reg` -> `reg_`), never an opaque number.
 */
const keywords = new Set(
  `alias always always_comb always_ff always_latch and assert assign assume automatic before begin bind bins binsof bit
  break buf bufif0 bufif1 byte case casex casez cell chandle class clocking cmos config const constraint context continue
  cover covergroup coverpoint cross deassign default defparam design disable dist do edge else end endcase endclass
  endclocking endconfig endfunction endgenerate endgroup endinterface endmodule endpackage endprimitive endprogram
  endproperty endspecify endsequence endtable endtask enum event expect export extends extern final first_match for
  force foreach forever fork forkjoin function generate genvar highz0 highz1 if iff ifnone ignore_bins illegal_bins
  import incdir include initial inout input inside instance int integer interface intersect join join_any join_none
  large liblist library local localparam logic longint macromodule matches medium modport module nand negedge new nmos
  nor noshowcancelled not notif0 notif1 null or output package packed parameter pmos posedge primitive priority program
  property protected pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect pure rand randc randcase
  randsequence rcmos real realtime ref reg release repeat return rnmos rpmos rtran rtranif0 rtranif1 scalared sequence
  shortint shortreal showcancelled signed small solve specify specparam static string strong0 strong1 struct super
  supply0 supply1 table tagged task this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1
  triand trior trireg type typedef union unique unsigned use uwire var vectored virtual void wait wait_order wand weak0
  weak1 while wildcard wire with within wor xnor xor accept_on checker endchecker eventually global implies let nexttime
  reject_on restrict s_always s_eventually s_nexttime s_until s_until_with strong sync_accept_on sync_reject_on unique0
  until until_with untyped weak implements interconnect nettype soft`.split(/\s+/),
);

export function isKeyword(name: string): boolean {
  return keywords.has(name);
}

const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export function isLegalIdentifier(name: string): boolean {
  return identifier.test(name) && !isKeyword(name) && name.length <= 1024;
}

/** A legal identifier close to `name`: illegal characters become `_`, keywords get `_` appended. */
export function legalize(name: string): string {
  let n = name.replace(/[^A-Za-z0-9_$]/g, '_');
  if (n === '' || !/^[A-Za-z_]/.test(n)) n = `_${n}`;
  if (isKeyword(n)) n = `${n}_`;
  return n;
}

/** Hands out unique names within one module, in a deterministic order. */
export class Namespace {
  private readonly taken = new Set<string>();

  has(name: string): boolean {
    return this.taken.has(name);
  }

  /** Reserve exactly `name`; returns false if it was taken. */
  reserve(name: string): boolean {
    if (this.taken.has(name)) return false;
    this.taken.add(name);
    return true;
  }

  /** `base`, or `base_2`, `base_3`, ... whichever is free first. */
  fresh(base: string): string {
    const b = legalize(base);
    if (this.reserve(b)) return b;
    for (let i = 2; ; i++) {
      const n = `${b}_${i}`;
      if (this.reserve(n)) return n;
    }
  }
}
