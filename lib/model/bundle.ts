/**
 * Bundle (de)serialisation: JSON with the forest's typed arrays as
 * little-endian base64 and a SHA-256 checksum over the content, so a
 * corrupted, truncated or foreign file fails loudly instead of predicting
 * nonsense.
 *
 * Format versions (each reader reads every earlier one):
 * - 1: the packed forest (`roots`, `feature`, `threshold`, `left`, `right`,
 *   `value`), 20 bytes per node.
 * - 2: version 1 with sparse leaves (`leafClass`).
 * - 3: the quantized pre-order layout (`lib/forest/quantized.ts`): 4 to 8
 *   bytes per node (`forest.types` names each node array's type), each
 *   distinct leaf distribution once, and each feature's thresholds; a
 *   server walks it as read. Written whenever a forest fits it (features
 *   and thresholds per feature below 32,767 and 65,535); others are written
 *   as version 1 or 2.
 *
 * No `node:` modules: the edge reads bundles on its cold start, and Deno's
 * Node compatibility layer takes longer to boot than the whole read.
 *
 * @module
 */
import { UserError } from "../errors.ts";
import {
  checkQuantizedForest,
  narrowQuantized,
  type PackedForest,
  packedView,
  type QuantizedForest,
  quantizedLayoutOf,
  quantizeForest,
} from "../forest/serving.ts";
import { sha256 } from "../sha256.ts";
import { BUNDLE_FORMAT, BUNDLE_VERSION, type ModelBundle } from "./types.ts";

type ArrayType = "i8" | "u8" | "i16" | "u16" | "i32" | "f64" | "f32";
type Typed =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Float64Array
  | Float32Array;

type PackedName = "roots" | "feature" | "threshold" | "left" | "right" | "value" | "leafClass";
const PACKED: Record<PackedName, ArrayType> = {
  roots: "i32",
  feature: "i32",
  threshold: "f64",
  left: "i32",
  right: "i32",
  value: "f32",
  leafClass: "i32",
};

type QuantizedName = "roots" | "feature" | "code" | "link" | "value" | "leafClass" | "cuts";
const QUANTIZED: Record<QuantizedName, ArrayType> = {
  roots: "i32",
  feature: "i16",
  code: "u16",
  link: "i32",
  value: "f32",
  leafClass: "i32",
  cuts: "f64",
};
/** The node arrays a format-3 file may store narrower, and the types it may use (`forest.types`). */
const NARROW: Partial<Record<QuantizedName, readonly ArrayType[]>> = {
  feature: ["i8", "i16"],
  code: ["u8", "u16"],
  link: ["u16", "i32"],
};

/** Arrays only some forests have. */
const OPTIONAL: ReadonlySet<string> = new Set(["leafClass"]);

/** `forest.encoding` of each layout. */
const PACKED_ENCODING = "base64-le";
const QUANTIZED_ENCODING = "quantized-preorder-base64-le";

/**
 * The format version a bundle of `forest` is written with: 3 when it fits
 * the quantized layout, else 2 for sparse leaves (which readers of version 1
 * would misread, so they refuse it), else 1.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * formatVersionOf(bundle.forest); // 3
 * ```
 */
export function formatVersionOf(forest: PackedForest): number {
  if (quantizedLayoutOf(forest) ?? quantizeForest(forest)) return 3;
  return forest.leafClass ? 2 : 1;
}

/**
 * Serialises a bundle to JSON text with a checksum.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * await Deno.writeTextFile("model.mlops.json", serializeBundle(bundle));
 * ```
 */
export function serializeBundle(bundle: ModelBundle): string {
  return encodeBundle(bundle).text;
}

/**
 * {@link serializeBundle} with the checksum it wrote, for callers that
 * report it (the edge export prints and records it).
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * const { text, checksum } = encodeBundle(bundle); // checksum: "sha256:..."
 * ```
 */
export function encodeBundle(bundle: ModelBundle): { text: string; checksum: string } {
  const { forest, ...rest } = bundle;
  const q = quantizedLayoutOf(forest) ?? quantizeForest(forest);
  const body = q
    ? { ...rest, formatVersion: 3, forest: encodeQuantized(q) }
    : { ...rest, formatVersion: forest.leafClass ? 2 : 1, forest: encodePacked(forest) };
  const json = JSON.stringify(body);
  const checksum = `sha256:${sha256(encoder.encode(json)).toHex()}`;
  return { text: `${json.slice(0, -1)},"checksum":${JSON.stringify(checksum)}}`, checksum };
}

/**
 * Parses and verifies bundle text; `source` names the file in error messages.
 * Throws a {@link UserError} for anything but an intact, compatible bundle.
 *
 * @example
 * ```ts
 * const path = "out/model/model.mlops.json";
 * const bundle = parseBundle(await Deno.readTextFile(path), path);
 * ```
 */
export function parseBundle(text: string, source: string): ModelBundle {
  const bytes = encoder.encode(text);
  const end = signedEnd(bytes);
  const raw = parseHeader(text, source);
  const hex = (b: Uint8Array) => sha256(b).toHex();
  if (end >= 0) bytes[end] = 0x7d; // "}": see parseBundleBytes
  if (!(end >= 0 && signs(raw, hex(bytes.subarray(0, end + 1))))) {
    if (!signs(raw, hex(reserialized(raw)))) {
      throw bad(source, "is corrupted (checksum mismatch)");
    }
  }
  return decodeBody(raw, source);
}

/**
 * {@link parseBundle} from the file's bytes, which is what a server should
 * call: the checksum is taken over the bytes as they are, by the runtime's
 * native SHA-256 (Web Crypto) while the JSON is parsed, instead of in
 * JavaScript after it.
 *
 * @example
 * ```ts
 * const path = "out/model/model.mlops.json";
 * const bundle = await parseBundleBytes(await Deno.readFile(path), path);
 * ```
 */
export async function parseBundleBytes(bytes: Uint8Array, source: string): Promise<ModelBundle> {
  const text = new TextDecoder().decode(bytes);
  const end = signedEnd(bytes);
  let digest: Promise<string> | null = null;
  if (end >= 0) {
    // The signed body is the file up to the checksum member, closed with "}".
    // Web Crypto copies its input before digest() returns, so the bytes are
    // closed in place for that moment rather than copied here too.
    const was = bytes[end];
    bytes[end] = 0x7d;
    try {
      digest = nativeHex(bytes.subarray(0, end + 1));
    } finally {
      bytes[end] = was;
    }
    digest.catch(() => {}); // awaited below, unless the header is refused first
  }
  const raw = parseHeader(text, source);
  if (!(digest && signs(raw, await digest)) && !signs(raw, await nativeHex(reserialized(raw)))) {
    throw bad(source, "is corrupted (checksum mismatch)");
  }
  return decodeBody(raw, source);
}

async function nativeHex(bytes: Uint8Array): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource)).toHex();
}

/** The parsed JSON, checked to be a bundle this mlops reads, with a checksum. */
function parseHeader(text: string, source: string): Record<string, unknown> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad(source, "is truncated or not JSON");
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw bad(source, "is not a model bundle (expected a JSON object)");
  }
  if (raw.format !== BUNDLE_FORMAT) {
    throw bad(source, `is not an mlops model bundle (format ${JSON.stringify(raw.format)})`);
  }
  if (typeof raw.formatVersion !== "number" || raw.formatVersion > BUNDLE_VERSION) {
    throw bad(
      source,
      `has format version ${raw.formatVersion}; this mlops reads up to ${BUNDLE_VERSION} — upgrade mlops`,
    );
  }
  if (typeof raw.checksum !== "string") throw bad(source, "has no checksum");
  return raw;
}

/** The bundle from its verified JSON: the forest decoded and checked against the schema. */
function decodeBody(raw: Record<string, unknown>, source: string): ModelBundle {
  const { checksum: _, ...body } = raw;
  const bundle = body as unknown as ModelBundle & { forest: Record<string, unknown> };
  const rawForest = bundle.forest;
  let forest: PackedForest;
  if (rawForest?.encoding === QUANTIZED_ENCODING) {
    const q = decodeQuantized(rawForest, source);
    const problem = checkQuantizedForest(q);
    if (problem) throw bad(source, `has ${problem}`);
    forest = packedView(q);
  } else {
    forest = decodePacked(rawForest, source);
    validateForest(forest, source);
  }
  if (!bundle.schema || bundle.schema.encodedNames?.length !== forest.nFeatures) {
    throw bad(source, "has a schema that does not match its forest");
  }
  if (bundle.schema.classes?.length !== forest.nClasses) {
    throw bad(source, "has class labels that do not match its forest");
  }
  return { ...bundle, forest };
}

function bad(source: string, what: string): UserError {
  return new UserError(`model bundle ${source} ${what}`, { code: "BAD_BUNDLE" });
}

const encoder = new TextEncoder();

/** `"checksum":"sha256:<hex>"` closing a file as {@link serializeBundle} writes it. */
const SIGNED_TAIL = /,"checksum":"sha256:[0-9a-f]{64}"\}[ \t\r\n]*$/;

/**
 * Where the checksum member starts (its comma) when the file ends with it
 * as {@link serializeBundle} writes it, else -1. The body up to there,
 * closed with `}`, is what was hashed; only reformatted files need the
 * multi-megabyte re-serialisation instead.
 */
function signedEnd(bytes: Uint8Array): number {
  const tailAt = Math.max(0, bytes.length - 128);
  const m = SIGNED_TAIL.exec(new TextDecoder().decode(bytes.subarray(tailAt)));
  return m ? bytes.length - m[0].length : -1; // the match is ASCII: characters are bytes
}

/** Whether `hex` is the hash the bundle's checksum names. */
function signs(raw: Record<string, unknown>, hex: string): boolean {
  return raw.checksum === `sha256:${hex}`;
}

/**
 * The body as {@link serializeBundle} wrote it, for a file that was
 * reformatted since (pretty-printed, members reordered).
 */
function reserialized(raw: Record<string, unknown>): Uint8Array<ArrayBuffer> {
  const { checksum: _, ...body } = raw;
  return encoder.encode(JSON.stringify(body));
}

function typeName(a: Typed): ArrayType {
  if (a instanceof Int8Array) return "i8";
  if (a instanceof Uint8Array) return "u8";
  if (a instanceof Int16Array) return "i16";
  if (a instanceof Uint16Array) return "u16";
  if (a instanceof Int32Array) return "i32";
  return a instanceof Float32Array ? "f32" : "f64";
}

function encodeArray(a: Typed): string {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).toBase64();
}

/** Decodes one base64 array of `type`, or throws naming `name`. */
function decodeArray(raw: unknown, type: ArrayType, name: string, source: string): Typed {
  if (typeof raw !== "string") throw bad(source, `is missing forest.${name}`);
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(raw);
  } catch {
    throw bad(source, `has a malformed forest.${name}`);
  }
  const size = type === "f64" ? 8 : type === "i8" || type === "u8" ? 1 : type[1] === "1" ? 2 : 4;
  if (bytes.byteLength % size !== 0) throw bad(source, `has a truncated forest.${name}`);
  // fromBase64 returns a fresh, aligned buffer.
  const buf = bytes.buffer as ArrayBuffer;
  switch (type) {
    case "i8":
      return new Int8Array(buf, 0, bytes.byteLength);
    case "u8":
      return new Uint8Array(buf, 0, bytes.byteLength);
    case "i16":
      return new Int16Array(buf, 0, bytes.byteLength / 2);
    case "u16":
      return new Uint16Array(buf, 0, bytes.byteLength / 2);
    case "i32":
      return new Int32Array(buf, 0, bytes.byteLength / 4);
    case "f32":
      return new Float32Array(buf, 0, bytes.byteLength / 4);
    case "f64":
      return new Float64Array(buf, 0, bytes.byteLength / 8);
  }
}

function encodePacked(f: PackedForest): Record<string, unknown> {
  const out: Record<string, unknown> = {
    nTrees: f.nTrees,
    nFeatures: f.nFeatures,
    nClasses: f.nClasses,
    encoding: PACKED_ENCODING,
  };
  for (const name of Object.keys(PACKED) as PackedName[]) {
    const a = f[name];
    if (a !== undefined) out[name] = encodeArray(a);
  }
  return out;
}

function decodePacked(raw: Record<string, unknown> | undefined, source: string): PackedForest {
  if (!raw || raw.encoding !== PACKED_ENCODING) throw bad(source, "has no forest");
  const arrays: Partial<Record<PackedName, Typed>> = {};
  for (const [name, type] of Object.entries(PACKED) as [PackedName, ArrayType][]) {
    if (raw[name] === undefined && OPTIONAL.has(name)) continue;
    arrays[name] = decodeArray(raw[name], type, name, source);
  }
  return {
    nTrees: Number(raw.nTrees),
    nFeatures: Number(raw.nFeatures),
    nClasses: Number(raw.nClasses),
    ...(arrays as Pick<PackedForest, PackedName>),
  } as PackedForest;
}

function encodeQuantized(wide: QuantizedForest): Record<string, unknown> {
  const q = narrowQuantized(wide);
  const cutCounts = q.cuts.map((c) => c.length);
  const cuts = new Float64Array(cutCounts.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const c of q.cuts) {
    cuts.set(c, at);
    at += c.length;
  }
  const out: Record<string, unknown> = {
    nTrees: q.nTrees,
    nFeatures: q.nFeatures,
    nClasses: q.nClasses,
    encoding: QUANTIZED_ENCODING,
    cutCounts,
    types: { feature: typeName(q.feature), code: typeName(q.code), link: typeName(q.link) },
  };
  const arrays: Record<QuantizedName, Typed | undefined> = {
    roots: q.roots,
    feature: q.feature,
    code: q.code,
    link: q.link,
    value: q.value,
    leafClass: q.leafClass,
    cuts,
  };
  for (const name of Object.keys(QUANTIZED) as QuantizedName[]) {
    const a = arrays[name];
    if (a !== undefined) out[name] = encodeArray(a);
  }
  return out;
}

function decodeQuantized(raw: Record<string, unknown>, source: string): QuantizedForest {
  const arrays: Partial<Record<QuantizedName, Typed>> = {};
  const types = (raw.types ?? {}) as Record<string, unknown>;
  for (const [name, wide] of Object.entries(QUANTIZED) as [QuantizedName, ArrayType][]) {
    if (raw[name] === undefined && OPTIONAL.has(name)) continue;
    const allowed = NARROW[name];
    const type = allowed ? types[name] as ArrayType : wide;
    if (allowed && !allowed.includes(type)) {
      throw bad(source, `has an unknown type for forest.${name} (${JSON.stringify(type)})`);
    }
    arrays[name] = decodeArray(raw[name], type, name, source);
  }
  const counts = raw.cutCounts;
  const all = arrays.cuts as Float64Array;
  if (
    !Array.isArray(counts) || !counts.every((n) => Number.isInteger(n) && n >= 0) ||
    counts.reduce((a: number, b: number) => a + b, 0) !== all.length
  ) {
    throw bad(source, "has an inconsistent forest.cutCounts");
  }
  const cuts: Float64Array[] = [];
  let at = 0;
  for (const n of counts as number[]) {
    cuts.push(all.subarray(at, at + n));
    at += n;
  }
  return {
    nTrees: Number(raw.nTrees),
    nFeatures: Number(raw.nFeatures),
    nClasses: Number(raw.nClasses),
    roots: arrays.roots as Int32Array,
    feature: arrays.feature as QuantizedForest["feature"],
    code: arrays.code as QuantizedForest["code"],
    link: arrays.link as QuantizedForest["link"],
    value: arrays.value as Float32Array,
    ...(arrays.leafClass ? { leafClass: arrays.leafClass as Int32Array } : {}),
    cuts,
  };
}

/**
 * Checks every index so prediction can never loop or read out of bounds,
 * whatever the file says: children come after their parent within the tree.
 */
function validateForest(f: PackedForest, source: string): void {
  const { nTrees, nFeatures, nClasses, roots, feature, threshold, left, right, value, leafClass } =
    f;
  const n = feature.length;
  const ok = Number.isInteger(nTrees) && nTrees >= 1 && roots.length === nTrees &&
    Number.isInteger(nFeatures) && nFeatures >= 1 && Number.isInteger(nClasses) &&
    nClasses >= 2 && threshold.length === n && left.length === n && right.length === n &&
    (!leafClass || leafClass.length === value.length);
  if (!ok) throw bad(source, "has an inconsistent forest header");
  if (leafClass) {
    for (let j = 0; j < leafClass.length; j++) {
      if (!(leafClass[j] >= 0 && leafClass[j] < nClasses)) {
        throw bad(source, `has a leaf class out of range (${leafClass[j]})`);
      }
    }
  }
  for (let t = 0; t < nTrees; t++) {
    const start = roots[t];
    const end = t + 1 < nTrees ? roots[t + 1] : n;
    if (!(start >= 0 && start < end && end <= n)) throw bad(source, `has a broken tree ${t}`);
    for (let i = start; i < end; i++) {
      const fi = feature[i];
      if (fi === -1) {
        const size = leafClass ? right[i] : nClasses;
        if (!(left[i] >= 0 && size >= (leafClass ? 1 : 0) && left[i] + size <= value.length)) {
          throw bad(source, `has a broken leaf in tree ${t}`);
        }
      } else if (
        !(fi >= 0 && fi < nFeatures && left[i] > i && left[i] < end && right[i] > i &&
          right[i] < end && !Number.isNaN(threshold[i]))
      ) {
        throw bad(source, `has a broken node in tree ${t}`);
      }
    }
  }
}
