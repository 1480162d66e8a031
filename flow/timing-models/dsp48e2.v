// DSP48E2 timing model for Yosys `sta` (read with `read_verilog -lib -specify -overwrite`).
//
// Yosys 0.23's cell library gives the DSP48E2 no delays (cells_xtra.v, a plain blackbox), so
// every path into or out of a mapped DSP would vanish from `sta`. This model supplies them.
// Ports and parameters are those of cells_xtra.v (Yosys 0.23), so netlists from synth_xilinx
// read unchanged; a test checks that they still match the installed Yosys.
//
// Sources and numbers (ps). Keep in sync with flow/timing-models/dsp48e2.ts (a test checks).
//
//   AMD DS923 (Virtex UltraScale+ data sheet, v1.20), "DSP48 Slice Switching Characteristics",
//   speed grade -2 at VCCINT 0.85 V (the Alveo U55C's part is xcu55c-fsvh2892-2L-e; we assume
//   it runs at 0.85 V, where L devices have the speed of their grade; at 0.72 V the table gives
//   644 / 440 / 323 MHz instead of 775 / 544 / 410):
//     FMAX                   with all registers used                      775 MHz -> 1290 ps
//     FMAX_MULT_NOMREG       two-register multiply without MREG          544 MHz -> 1838 ps
//     FMAX_PREADD_NOADREG    without ADREG                               565 MHz -> 1770 ps
//     FMAX_NOPIPELINEREG     without pipeline registers (MREG, ADREG)    410 MHz -> 2439 ps
//   Each period is one register-to-register stage inside the slice: clock-to-out of the
//   launching register, the logic, and the setup of the capturing register.
//
//   The UltraScale+ data sheets publish no DSP setup or clock-to-out figures (only FMAX; the
//   7-series data sheets had them). For the slice's own registers seen from the fabric we use
//   the 7-series DSP48E1 figures of the same Yosys library (cells_sim.v, from Project X-Ray),
//   which keeps them in the units of every other cell delay `sta` adds up here:
//     setup A -> AREG 254, B -> BREG 324, C -> CREG 168, D -> DREG 248;
//     clock-to-out P from PREG 329, PCOUT from PREG 435.
//   Control pins (CE*, RST*, OPMODE, ALUMODE, INMODE, CARRYIN*) are not in that model; we
//   assume the B setup (324) at their registers.
//
// Paths through an unregistered part of the slice use the data-sheet stage periods, with a
// slice pin standing for the register it replaces (the fabric pays its own routing to the pin,
// in place of the internal register's clock-to-out):
//   pin -> first register:  A/B -> MREG 1290 (1770 through the pre-adder without ADREG),
//                           A/D -> ADREG 1290, A/B -> PREG without MREG 1838 (2439 with the
//                           pre-adder), C, PCIN, CARRYIN, OPMODE, ALUMODE -> PREG 1290;
//   last register -> P pin: MREG 1290, ADREG 1838, A/B/D registers 1838 (2439 with the
//                           pre-adder and no ADREG), C and control registers 1290;
//   pin -> P pin (no register between): the same figures as pin -> PREG.
// With USE_MULT = "NONE" the A:B operand goes through the ALU only (1290).
// Registers inside the slice bound the slice's own stages by FMAX; `sta` does not see those.
// Cascade outputs ACOUT/BCOUT, XOROUT and the pattern detector are not modelled.
(* blackbox *)
module DSP48E2 (...);
    parameter integer ACASCREG = 1;
    parameter integer ADREG = 1;
    parameter integer ALUMODEREG = 1;
    parameter AMULTSEL = "A";
    parameter integer AREG = 1;
    parameter AUTORESET_PATDET = "NO_RESET";
    parameter AUTORESET_PRIORITY = "RESET";
    parameter A_INPUT = "DIRECT";
    parameter integer BCASCREG = 1;
    parameter BMULTSEL = "B";
    parameter integer BREG = 1;
    parameter B_INPUT = "DIRECT";
    parameter integer CARRYINREG = 1;
    parameter integer CARRYINSELREG = 1;
    parameter integer CREG = 1;
    parameter integer DREG = 1;
    parameter integer INMODEREG = 1;
    parameter [3:0] IS_ALUMODE_INVERTED = 4'b0000;
    parameter [0:0] IS_CARRYIN_INVERTED = 1'b0;
    parameter [0:0] IS_CLK_INVERTED = 1'b0;
    parameter [4:0] IS_INMODE_INVERTED = 5'b00000;
    parameter [8:0] IS_OPMODE_INVERTED = 9'b000000000;
    parameter [0:0] IS_RSTALLCARRYIN_INVERTED = 1'b0;
    parameter [0:0] IS_RSTALUMODE_INVERTED = 1'b0;
    parameter [0:0] IS_RSTA_INVERTED = 1'b0;
    parameter [0:0] IS_RSTB_INVERTED = 1'b0;
    parameter [0:0] IS_RSTCTRL_INVERTED = 1'b0;
    parameter [0:0] IS_RSTC_INVERTED = 1'b0;
    parameter [0:0] IS_RSTD_INVERTED = 1'b0;
    parameter [0:0] IS_RSTINMODE_INVERTED = 1'b0;
    parameter [0:0] IS_RSTM_INVERTED = 1'b0;
    parameter [0:0] IS_RSTP_INVERTED = 1'b0;
    parameter [47:0] MASK = 48'h3FFFFFFFFFFF;
    parameter integer MREG = 1;
    parameter integer OPMODEREG = 1;
    parameter [47:0] PATTERN = 48'h000000000000;
    parameter PREADDINSEL = "A";
    parameter integer PREG = 1;
    parameter [47:0] RND = 48'h000000000000;
    parameter SEL_MASK = "MASK";
    parameter SEL_PATTERN = "PATTERN";
    parameter USE_MULT = "MULTIPLY";
    parameter USE_PATTERN_DETECT = "NO_PATDET";
    parameter USE_SIMD = "ONE48";
    parameter USE_WIDEXOR = "FALSE";
    parameter XORSIMD = "XOR24_48_96";
    output [29:0] ACOUT;
    output [17:0] BCOUT;
    output CARRYCASCOUT;
    output [3:0] CARRYOUT;
    output MULTSIGNOUT;
    output OVERFLOW;
    output [47:0] P;
    output PATTERNBDETECT;
    output PATTERNDETECT;
    output [47:0] PCOUT;
    output UNDERFLOW;
    output [7:0] XOROUT;
    input [29:0] A;
    input [29:0] ACIN;
    (* invertible_pin = "IS_ALUMODE_INVERTED" *)
    input [3:0] ALUMODE;
    input [17:0] B;
    input [17:0] BCIN;
    input [47:0] C;
    input CARRYCASCIN;
    (* invertible_pin = "IS_CARRYIN_INVERTED" *)
    input CARRYIN;
    input [2:0] CARRYINSEL;
    input CEA1;
    input CEA2;
    input CEAD;
    input CEALUMODE;
    input CEB1;
    input CEB2;
    input CEC;
    input CECARRYIN;
    input CECTRL;
    input CED;
    input CEINMODE;
    input CEM;
    input CEP;
    (* clkbuf_sink *)
    (* invertible_pin = "IS_CLK_INVERTED" *)
    input CLK;
    input [26:0] D;
    (* invertible_pin = "IS_INMODE_INVERTED" *)
    input [4:0] INMODE;
    input MULTSIGNIN;
    (* invertible_pin = "IS_OPMODE_INVERTED" *)
    input [8:0] OPMODE;
    input [47:0] PCIN;
    (* invertible_pin = "IS_RSTA_INVERTED" *)
    input RSTA;
    (* invertible_pin = "IS_RSTALLCARRYIN_INVERTED" *)
    input RSTALLCARRYIN;
    (* invertible_pin = "IS_RSTALUMODE_INVERTED" *)
    input RSTALUMODE;
    (* invertible_pin = "IS_RSTB_INVERTED" *)
    input RSTB;
    (* invertible_pin = "IS_RSTC_INVERTED" *)
    input RSTC;
    (* invertible_pin = "IS_RSTCTRL_INVERTED" *)
    input RSTCTRL;
    (* invertible_pin = "IS_RSTD_INVERTED" *)
    input RSTD;
    (* invertible_pin = "IS_RSTINMODE_INVERTED" *)
    input RSTINMODE;
    (* invertible_pin = "IS_RSTM_INVERTED" *)
    input RSTM;
    (* invertible_pin = "IS_RSTP_INVERTED" *)
    input RSTP;

    localparam integer SU_A = 254, SU_B = 324, SU_C = 168, SU_D = 248, SU_CTRL = 324;
    localparam integer CO_P = 329, CO_PCOUT = 435;
    localparam integer T_FMAX = 1290, T_NOMREG = 1838, T_PREADD_NOADREG = 1770, T_NOPIPE = 2439;

    localparam MULT = USE_MULT != "NONE";
    localparam PRE = MULT && (AMULTSEL == "AD" || BMULTSEL == "AD");
    // Stage from an operand pin (or register) through the multiplier (and pre-adder) to P.
    localparam integer T_MUL_TO_P = !MULT ? T_FMAX : PRE ? T_NOPIPE : T_NOMREG;
    localparam integer T_MUL_TO_M = PRE ? T_PREADD_NOADREG : T_FMAX;

    generate
        // A (and D through the pre-adder): setup at the first register, or a path to P.
        if (AREG != 0)
            specify $setup(A, posedge CLK, SU_A); endspecify
        else if (PRE && ADREG != 0)
            specify $setup(A, posedge CLK, T_FMAX); endspecify
        else if (MULT && MREG != 0)
            specify $setup(A, posedge CLK, T_MUL_TO_M); endspecify
        else if (PREG != 0)
            specify $setup(A, posedge CLK, T_MUL_TO_P); endspecify
        else
            specify (A *> P) = T_MUL_TO_P; (A *> PCOUT) = T_MUL_TO_P; endspecify

        if (PRE) begin
            if (DREG != 0)
                specify $setup(D, posedge CLK, SU_D); endspecify
            else if (ADREG != 0)
                specify $setup(D, posedge CLK, T_FMAX); endspecify
            else if (MREG != 0)
                specify $setup(D, posedge CLK, T_MUL_TO_M); endspecify
            else if (PREG != 0)
                specify $setup(D, posedge CLK, T_MUL_TO_P); endspecify
            else
                specify (D *> P) = T_MUL_TO_P; (D *> PCOUT) = T_MUL_TO_P; endspecify
        end

        if (BREG != 0)
            specify $setup(B, posedge CLK, SU_B); endspecify
        else if (MULT && MREG != 0)
            specify $setup(B, posedge CLK, T_FMAX); endspecify
        else if (PREG != 0)
            specify $setup(B, posedge CLK, MULT ? T_NOMREG : T_FMAX); endspecify
        else
            specify (B *> P) = MULT ? T_NOMREG : T_FMAX; (B *> PCOUT) = MULT ? T_NOMREG : T_FMAX; endspecify

        if (CREG != 0)
            specify $setup(C, posedge CLK, SU_C); endspecify
        else if (PREG != 0)
            specify $setup(C, posedge CLK, T_FMAX); endspecify
        else
            specify (C *> P) = T_FMAX; (C *> PCOUT) = T_FMAX; endspecify

        // The P cascade and ALU controls reach P through the ALU only.
        if (PREG != 0)
            specify
                $setup(PCIN, posedge CLK, T_FMAX);
                $setup(CARRYCASCIN, posedge CLK, T_FMAX);
            endspecify
        else
            specify
                (PCIN *> P) = T_FMAX; (PCIN *> PCOUT) = T_FMAX;
                (CARRYCASCIN *> P) = T_FMAX; (CARRYCASCIN *> PCOUT) = T_FMAX;
            endspecify
        if (OPMODEREG != 0)
            specify $setup(OPMODE, posedge CLK, SU_CTRL); endspecify
        else if (PREG != 0)
            specify $setup(OPMODE, posedge CLK, T_FMAX); endspecify
        else
            specify (OPMODE *> P) = T_FMAX; (OPMODE *> PCOUT) = T_FMAX; endspecify
        if (ALUMODEREG != 0)
            specify $setup(ALUMODE, posedge CLK, SU_CTRL); endspecify
        else if (PREG != 0)
            specify $setup(ALUMODE, posedge CLK, T_FMAX); endspecify
        else
            specify (ALUMODE *> P) = T_FMAX; (ALUMODE *> PCOUT) = T_FMAX; endspecify
        if (CARRYINREG != 0)
            specify $setup(CARRYIN, posedge CLK, SU_CTRL); endspecify
        else if (PREG != 0)
            specify $setup(CARRYIN, posedge CLK, T_FMAX); endspecify
        else
            specify (CARRYIN *> P) = T_FMAX; (CARRYIN *> PCOUT) = T_FMAX; endspecify
        if (CARRYINSELREG != 0)
            specify $setup(CARRYINSEL, posedge CLK, SU_CTRL); endspecify
        else if (PREG != 0)
            specify $setup(CARRYINSEL, posedge CLK, T_FMAX); endspecify
        else
            specify (CARRYINSEL *> P) = T_FMAX; (CARRYINSEL *> PCOUT) = T_FMAX; endspecify
        // INMODE steers the operands into the multiplier, like A.
        if (INMODEREG != 0)
            specify $setup(INMODE, posedge CLK, SU_CTRL); endspecify
        else if (MULT && MREG != 0)
            specify $setup(INMODE, posedge CLK, T_MUL_TO_M); endspecify
        else if (PREG != 0)
            specify $setup(INMODE, posedge CLK, T_MUL_TO_P); endspecify
        else
            specify (INMODE *> P) = T_MUL_TO_P; (INMODE *> PCOUT) = T_MUL_TO_P; endspecify

        // Clock enables and resets are register endpoints of the registers they control.
        if (AREG != 0) specify $setup(CEA1, posedge CLK, SU_CTRL); $setup(CEA2, posedge CLK, SU_CTRL); $setup(RSTA, posedge CLK, SU_CTRL); endspecify
        if (BREG != 0) specify $setup(CEB1, posedge CLK, SU_CTRL); $setup(CEB2, posedge CLK, SU_CTRL); $setup(RSTB, posedge CLK, SU_CTRL); endspecify
        if (CREG != 0) specify $setup(CEC, posedge CLK, SU_CTRL); $setup(RSTC, posedge CLK, SU_CTRL); endspecify
        if (PRE && DREG != 0) specify $setup(CED, posedge CLK, SU_CTRL); $setup(RSTD, posedge CLK, SU_CTRL); endspecify
        if (PRE && ADREG != 0) specify $setup(CEAD, posedge CLK, SU_CTRL); endspecify
        if (MULT && MREG != 0) specify $setup(CEM, posedge CLK, SU_CTRL); $setup(RSTM, posedge CLK, SU_CTRL); endspecify
        if (PREG != 0) specify $setup(CEP, posedge CLK, SU_CTRL); $setup(RSTP, posedge CLK, SU_CTRL); endspecify
        if (OPMODEREG != 0 || CARRYINSELREG != 0) specify $setup(CECTRL, posedge CLK, SU_CTRL); $setup(RSTCTRL, posedge CLK, SU_CTRL); endspecify
        if (ALUMODEREG != 0) specify $setup(CEALUMODE, posedge CLK, SU_CTRL); $setup(RSTALUMODE, posedge CLK, SU_CTRL); endspecify
        if (INMODEREG != 0) specify $setup(CEINMODE, posedge CLK, SU_CTRL); $setup(RSTINMODE, posedge CLK, SU_CTRL); endspecify
        if (CARRYINREG != 0) specify $setup(CECARRYIN, posedge CLK, SU_CTRL); $setup(RSTALLCARRYIN, posedge CLK, SU_CTRL); endspecify

        // Clock to P: from the P register, or from the last register before P (`sta` keeps
        // the largest of several arrival arcs on one output).
        if (PREG != 0)
            specify
                (posedge CLK => (P : 48'bx)) = CO_P;
                (posedge CLK => (PCOUT : 48'bx)) = CO_PCOUT;
                (posedge CLK => (CARRYOUT : 4'bx)) = CO_P;
                (posedge CLK => (CARRYCASCOUT : 1'bx)) = CO_PCOUT;
            endspecify
        else begin
            if (MULT && MREG != 0)
                specify (posedge CLK => (P : 48'bx)) = T_FMAX; (posedge CLK => (PCOUT : 48'bx)) = T_FMAX; endspecify
            if (MULT && MREG == 0 && PRE && ADREG != 0)
                specify (posedge CLK => (P : 48'bx)) = T_NOMREG; (posedge CLK => (PCOUT : 48'bx)) = T_NOMREG; endspecify
            if ((!MULT || MREG == 0) && (AREG != 0 || (PRE && DREG != 0)) && !(PRE && ADREG != 0))
                specify (posedge CLK => (P : 48'bx)) = T_MUL_TO_P; (posedge CLK => (PCOUT : 48'bx)) = T_MUL_TO_P; endspecify
            if ((!MULT || MREG == 0) && BREG != 0)
                specify (posedge CLK => (P : 48'bx)) = MULT ? T_NOMREG : T_FMAX; (posedge CLK => (PCOUT : 48'bx)) = MULT ? T_NOMREG : T_FMAX; endspecify
            if (INMODEREG != 0 && (!MULT || MREG == 0))
                specify (posedge CLK => (P : 48'bx)) = T_MUL_TO_P; (posedge CLK => (PCOUT : 48'bx)) = T_MUL_TO_P; endspecify
            if (CREG != 0 || OPMODEREG != 0 || ALUMODEREG != 0 || CARRYINREG != 0 || CARRYINSELREG != 0 || (INMODEREG != 0 && MULT && MREG != 0))
                specify (posedge CLK => (P : 48'bx)) = T_FMAX; (posedge CLK => (PCOUT : 48'bx)) = T_FMAX; endspecify
        end
    endgenerate
endmodule
