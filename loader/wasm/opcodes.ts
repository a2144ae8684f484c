// The instructions a service module may contain, as the code walker (code.ts) needs them:
// each opcode's immediates and how many operand values it takes and leaves. It lists the
// features of loader/instrument/binaryen.ts serviceFeatures: MVP, sign extension,
// non-trapping float-to-int (0xFC 0-7), bulk memory (0xFC 8-11), reference types (0xFC
// 12-17, table.get/set, ref.*, typed select), SIMD (0xFD), tail calls and multivalue.
// Control instructions (block … return_call_indirect, opcodes 0x00-0x13) are not here: their
// stack effect depends on labels and types, so code.ts decodes them itself. An opcode in
// neither place is unknown and must be refused, never skipped; FAMILIES names the ones
// that belong to a feature services may not use. Source: the WebAssembly core spec 2.0,
// section 5.4, and the SIMD proposal's opcode table (binary-opcodes.md).

/** One immediate: a LEB128 number (u32, or signed of 32, 33 or 64 bits), a vector of value
 *  types (typed select), or a fixed number of bytes (floats, lanes, v128.const, shuffles). */
export type Imm = "u32" | "s32" | "s33" | "s64" | "types" | number;

export interface Op {
  imm: Imm[];
  pops: number;    // operand values it takes
  pushes: number;  // values it leaves
}

const op = (imm: Imm[], pops: number, pushes: number): Op => ({ imm, pops, pushes });

const NONE: Imm[] = [];
const IDX: Imm[] = ["u32"];
const IDX2: Imm[] = ["u32", "u32"];
const MEMARG: Imm[] = ["u32", "u32"];          // alignment, offset
const LANE: Imm[] = [1];
const MEMARG_LANE: Imm[] = ["u32", "u32", 1];

const UN = op(NONE, 1, 1);
const BIN = op(NONE, 2, 1);

function table(rows: [from: number, to: number, op: Op][]): Map<number, Op> {
  const t = new Map<number, Op>();
  for (const [from, to, o] of rows) for (let i = from; i <= to; i++) t.set(i, o);
  return t;
}

/** One-byte opcodes from 0x14 up (spec 5.4.2-5.4.7). */
export const BASIC = table([
  [0x01, 0x01, op(NONE, 0, 0)],            // nop
  [0x1a, 0x1a, op(NONE, 1, 0)],            // drop
  [0x1b, 0x1b, op(NONE, 3, 1)],            // select
  [0x1c, 0x1c, op(["types"], 3, 1)],       // select t*
  [0x20, 0x20, op(IDX, 0, 1)],             // local.get
  [0x21, 0x21, op(IDX, 1, 0)],             // local.set
  [0x22, 0x22, op(IDX, 1, 1)],             // local.tee
  [0x23, 0x23, op(IDX, 0, 1)],             // global.get
  [0x24, 0x24, op(IDX, 1, 0)],             // global.set
  [0x25, 0x25, op(IDX, 1, 1)],             // table.get
  [0x26, 0x26, op(IDX, 2, 0)],             // table.set
  [0x28, 0x35, op(MEMARG, 1, 1)],          // loads
  [0x36, 0x3e, op(MEMARG, 2, 0)],          // stores
  [0x3f, 0x3f, op(IDX, 0, 1)],             // memory.size (memory index 0)
  [0x40, 0x40, op(IDX, 1, 1)],             // memory.grow
  [0x41, 0x41, op(["s32"], 0, 1)],         // i32.const
  [0x42, 0x42, op(["s64"], 0, 1)],         // i64.const
  [0x43, 0x43, op([4], 0, 1)],             // f32.const
  [0x44, 0x44, op([8], 0, 1)],             // f64.const
  [0x45, 0x45, UN], [0x46, 0x4f, BIN],     // i32.eqz, i32 comparisons
  [0x50, 0x50, UN], [0x51, 0x5a, BIN],     // i64.eqz, i64 comparisons
  [0x5b, 0x66, BIN],                       // f32, f64 comparisons
  [0x67, 0x69, UN], [0x6a, 0x78, BIN],     // i32 clz ctz popcnt, add … rotr
  [0x79, 0x7b, UN], [0x7c, 0x8a, BIN],     // i64
  [0x8b, 0x91, UN], [0x92, 0x98, BIN],     // f32 abs … sqrt, add … copysign
  [0x99, 0x9f, UN], [0xa0, 0xa6, BIN],     // f64
  [0xa7, 0xc4, UN],                        // conversions, reinterpretations, sign extension
  [0xd0, 0xd0, op(["s33"], 0, 1)],         // ref.null (heap type)
  [0xd1, 0xd1, UN],                        // ref.is_null
  [0xd2, 0xd2, op(IDX, 0, 1)],             // ref.func
]);

/** 0xFC prefix, by its u32 sub-opcode. */
export const MISC = table([
  [0, 7, UN],                              // i32/i64.trunc_sat_f32/f64_s/u
  [8, 8, op(IDX2, 3, 0)],                  // memory.init data, memory
  [9, 9, op(IDX, 0, 0)],                   // data.drop
  [10, 10, op(IDX2, 3, 0)],                // memory.copy
  [11, 11, op(IDX, 3, 0)],                 // memory.fill
  [12, 12, op(IDX2, 3, 0)],                // table.init element, table
  [13, 13, op(IDX, 0, 0)],                 // elem.drop
  [14, 14, op(IDX2, 3, 0)],                // table.copy
  [15, 15, op(IDX, 2, 1)],                 // table.grow
  [16, 16, op(IDX, 0, 1)],                 // table.size
  [17, 17, op(IDX, 3, 0)],                 // table.fill
]);

/** 0xFD prefix (SIMD), by its u32 sub-opcode. The gaps are opcodes the proposal left
 *  unassigned; 0x100 and up is relaxed SIMD, which serviceFeatures leaves out. */
export const SIMD = table([
  [0x00, 0x0a, op(MEMARG, 1, 1)],          // v128.load, load8x8_s … load64_splat
  [0x0b, 0x0b, op(MEMARG, 2, 0)],          // v128.store
  [0x0c, 0x0c, op([16], 0, 1)],            // v128.const
  [0x0d, 0x0d, op([16], 2, 1)],            // i8x16.shuffle
  [0x0e, 0x0e, BIN],                       // i8x16.swizzle
  [0x0f, 0x14, UN],                        // splats
  [0x15, 0x16, op(LANE, 1, 1)], [0x17, 0x17, op(LANE, 2, 1)],   // i8x16 extract_lane_s/u, replace_lane
  [0x18, 0x19, op(LANE, 1, 1)], [0x1a, 0x1a, op(LANE, 2, 1)],   // i16x8
  [0x1b, 0x1b, op(LANE, 1, 1)], [0x1c, 0x1c, op(LANE, 2, 1)],   // i32x4
  [0x1d, 0x1d, op(LANE, 1, 1)], [0x1e, 0x1e, op(LANE, 2, 1)],   // i64x2
  [0x1f, 0x1f, op(LANE, 1, 1)], [0x20, 0x20, op(LANE, 2, 1)],   // f32x4
  [0x21, 0x21, op(LANE, 1, 1)], [0x22, 0x22, op(LANE, 2, 1)],   // f64x2
  [0x23, 0x4c, BIN],                       // comparisons
  [0x4d, 0x4d, UN], [0x4e, 0x51, BIN],     // v128.not, and, andnot, or, xor
  [0x52, 0x52, op(NONE, 3, 1)],            // v128.bitselect
  [0x53, 0x53, UN],                        // v128.any_true
  [0x54, 0x57, op(MEMARG_LANE, 2, 1)],     // v128.load8_lane … load64_lane
  [0x58, 0x5b, op(MEMARG_LANE, 2, 0)],     // v128.store8_lane … store64_lane
  [0x5c, 0x5d, op(MEMARG, 1, 1)],          // v128.load32_zero, load64_zero
  [0x5e, 0x5f, UN],                        // f32x4.demote_f64x2_zero, f64x2.promote_low_f32x4
  [0x60, 0x64, UN], [0x65, 0x66, BIN],     // i8x16 abs neg popcnt all_true bitmask, narrow
  [0x67, 0x6a, UN],                        // f32x4 ceil floor trunc nearest
  [0x6b, 0x73, BIN],                       // i8x16 shl shr_s shr_u add add_sat_s/u sub sub_sat_s/u
  [0x74, 0x75, UN], [0x76, 0x79, BIN],     // f64x2 ceil floor, i8x16 min/max
  [0x7a, 0x7a, UN], [0x7b, 0x7b, BIN],     // f64x2.trunc, i8x16.avgr_u
  [0x7c, 0x7f, UN],                        // extadd_pairwise
  [0x80, 0x81, UN], [0x82, 0x82, BIN],     // i16x8 abs neg, q15mulr_sat_s
  [0x83, 0x84, UN], [0x85, 0x86, BIN],     // all_true bitmask, narrow
  [0x87, 0x8a, UN], [0x8b, 0x93, BIN],     // extend, shl … sub_sat_u
  [0x94, 0x94, UN], [0x95, 0x99, BIN],     // f64x2.nearest, i16x8 mul min/max
  [0x9b, 0x9f, BIN],                       // i16x8 avgr_u, extmul
  [0xa0, 0xa1, UN], [0xa3, 0xa4, UN],      // i32x4 abs neg, all_true bitmask
  [0xa7, 0xaa, UN], [0xab, 0xae, BIN],     // extend, shl shr_s shr_u add
  [0xb1, 0xb1, BIN], [0xb5, 0xba, BIN],    // sub, mul min/max dot_i16x8_s
  [0xbc, 0xbf, BIN],                       // extmul
  [0xc0, 0xc1, UN], [0xc3, 0xc4, UN],      // i64x2 abs neg, all_true bitmask
  [0xc7, 0xca, UN], [0xcb, 0xce, BIN],     // extend, shl shr_s shr_u add
  [0xd1, 0xd1, BIN], [0xd5, 0xdf, BIN],    // sub, mul eq ne lt_s gt_s le_s ge_s extmul
  [0xe0, 0xe1, UN], [0xe3, 0xe3, UN],      // f32x4 abs neg sqrt
  [0xe4, 0xeb, BIN],                       // add sub mul div min max pmin pmax
  [0xec, 0xed, UN], [0xef, 0xef, UN],      // f64x2 abs neg sqrt
  [0xf0, 0xf7, BIN],
  [0xf8, 0xff, UN],                        // trunc_sat, convert
]);

/** Opcodes of features a service may not use, with the feature's name for the refusal. */
export const FAMILIES: [test: (prefix: number, sub: number) => boolean, feature: string][] = [
  [(p) => [0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f].includes(p), "exception handling (a catch could swallow the end of the fuel)"],
  [(p) => [0x14, 0x15, 0xd3, 0xd4, 0xd5, 0xd6].includes(p), "typed function references"],
  [(p) => p === 0xfb, "garbage collection (GC)"],
  [(p) => p === 0xfe, "threads (atomic instructions)"],
  [(p, s) => p === 0xfd && s >= 0x100, "relaxed SIMD"],
];
