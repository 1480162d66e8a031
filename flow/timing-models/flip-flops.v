// Flip-flop timing models for Yosys `sta` (read with `read_verilog -lib -specify -overwrite`):
// the library's FDRE, FDSE, FDCE and FDPE (cells_sim.v, Yosys 0.23; same ports, parameters and
// delays, rising clock only) with one change: D has a setup of 1 ps instead of 0.
//
// Why: the library's D setup is -46 ps (7-series), which Yosys cannot represent and sets to 0.
// `sta` reports the latest arrival at any net, and a net that no timed input reads (an unused
// output bit of a DSP or carry chain) then ties with the flip-flop D it runs beside, so the
// critical path may be reported as ending nowhere. One picosecond makes the flip-flop win the
// tie; flow/timing.ts subtracts it again (FF_D_SETUP_TIEBREAK_PS), so no figure changes.
//
// FDRE_ENDPOINT, FDSE_ENDPOINT, FDCE_ENDPOINT, FDPE_ENDPOINT: the same flip-flops with their
// setup checks but no clock-to-out. A module's interface logic model (flow/timing.ts) turns the
// registers that end its input paths, and feed nothing towards its outputs, into these: their
// outputs only start paths inside the module, which the module's own run has timed already.

module FDRE (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D,
  (* invertible_pin = "IS_R_INVERTED" *)
  input R
);
  parameter [0:0] INIT = 1'b0;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_R_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(R, posedge C, 404);
    (posedge C => (Q : 1'bx)) = 303;
  endspecify
endmodule

module FDSE (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D,
  (* invertible_pin = "IS_S_INVERTED" *)
  input S
);
  parameter [0:0] INIT = 1'b1;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_S_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(S, posedge C, 404);
    (posedge C => (Q : 1'bx)) = 303;
  endspecify
endmodule

module FDCE (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_CLR_INVERTED" *)
  input CLR,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D
);
  parameter [0:0] INIT = 1'b0;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_CLR_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(CLR, posedge C, 404);
    (CLR => Q) = 764;
    (posedge C => (Q : 1'bx)) = 303;
  endspecify
endmodule

module FDPE (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D,
  (* invertible_pin = "IS_PRE_INVERTED" *)
  input PRE
);
  parameter [0:0] INIT = 1'b1;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_PRE_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(PRE, posedge C, 404);
    (PRE => Q) = 764;
    (posedge C => (Q : 1'bx)) = 303;
  endspecify
endmodule

module FDRE_ENDPOINT (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D,
  (* invertible_pin = "IS_R_INVERTED" *)
  input R
);
  parameter [0:0] INIT = 1'b0;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_R_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(R, posedge C, 404);
  endspecify
endmodule

module FDSE_ENDPOINT (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D,
  (* invertible_pin = "IS_S_INVERTED" *)
  input S
);
  parameter [0:0] INIT = 1'b1;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_S_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(S, posedge C, 404);
  endspecify
endmodule

module FDCE_ENDPOINT (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_CLR_INVERTED" *)
  input CLR,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D
);
  parameter [0:0] INIT = 1'b0;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_CLR_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(CLR, posedge C, 404);
  endspecify
endmodule

module FDPE_ENDPOINT (
  output Q,
  (* clkbuf_sink *)
  (* invertible_pin = "IS_C_INVERTED" *)
  input C,
  input CE,
  (* invertible_pin = "IS_D_INVERTED" *)
  input D,
  (* invertible_pin = "IS_PRE_INVERTED" *)
  input PRE
);
  parameter [0:0] INIT = 1'b1;
  parameter [0:0] IS_C_INVERTED = 1'b0;
  parameter [0:0] IS_D_INVERTED = 1'b0;
  parameter [0:0] IS_PRE_INVERTED = 1'b0;
  specify
    $setup(D, posedge C, 1);
    $setup(CE, posedge C, 109);
    $setup(PRE, posedge C, 404);
  endspecify
endmodule
