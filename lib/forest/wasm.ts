/**
 * A minimal WebAssembly binary writer: just enough to emit the forest walk
 * kernel (`kernel.ts`) from TypeScript at start-up, so the project needs no
 * compiler toolchain and ships no opaque binary.
 *
 * Only what the kernel uses is here: i32/f32/f64 values, an imported memory,
 * exported functions, structured control flow.
 *
 * @module
 */

/** Value types, by their binary codes. */
export const I32 = 0x7f, F64 = 0x7c;

/** Opcodes the kernel uses (names follow the text format). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  f32Load: 0x2a,
  i32Store: 0x36,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  f64Add: 0xa0,
  f64Div: 0xa3,
  f64ConvertI32S: 0xb7,
  f64PromoteF32: 0xbb,
} as const;

/** Block type of a block/loop/if that leaves nothing on the stack. */
export const VOID = 0x40;

/**
 * Unsigned LEB128.
 *
 * @example
 * ```ts
 * uleb(624485); // [0xe5, 0x8e, 0x26]
 * ```
 */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * Signed LEB128 of a 32-bit integer.
 *
 * @example
 * ```ts
 * sleb(-1); // [0x7f]
 * ```
 */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  while (true) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Memory access immediate: natural alignment (log2 bytes) and a constant offset. */
export function memarg(alignLog2: number, offset = 0): number[] {
  return [alignLog2, ...uleb(offset)];
}

/** A function to put in a module: its signature, extra locals and body (without `end`). */
export interface FuncDef {
  name: string;
  params: number[];
  results: number[];
  /** Types of the locals after the parameters, one entry per local. */
  locals: number[];
  body: number[];
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const bytesOf = (s: string) => [...new TextEncoder().encode(s)];
const name = (s: string) => [...uleb(bytesOf(s).length), ...bytesOf(s)];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];

/**
 * Encodes a module that imports one memory as `env.memory` and exports the
 * given functions by name.
 *
 * @example
 * ```ts
 * const bytes = encodeModule([{ name: "one", params: [], results: [I32], locals: [],
 *   body: [Op.i32Const, ...sleb(1)] }]);
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes),
 *   { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
 * ```
 */
export function encodeModule(funcs: FuncDef[]): Uint8Array<ArrayBuffer> {
  const types = section(
    1,
    vec(
      funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]),
    ),
  );
  const imports = section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]]));
  const functions = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exports = section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(
    10,
    vec(funcs.map((f) => {
      // Locals are declared in runs of equal type.
      const runs: number[][] = [];
      for (const t of f.locals) {
        const last = runs[runs.length - 1];
        if (last && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      const body = [...vec(runs.map(([count, t]) => [...uleb(count), t])), ...f.body, Op.end];
      return [...uleb(body.length), ...body];
    })),
  );
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...types,
    ...imports,
    ...functions,
    ...exports,
    ...code,
  ]);
}
