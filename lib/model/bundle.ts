/**
 * Bundle (de)serialisation: JSON with the forest's typed arrays as
 * little-endian base64 and a SHA-256 checksum over the content, so a
 * corrupted, truncated or foreign file fails loudly instead of predicting
 * nonsense.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { UserError } from "../errors.ts";
import type { PackedForest } from "../forest/types.ts";
import { BUNDLE_FORMAT, BUNDLE_VERSION, type ModelBundle } from "./types.ts";

type ArrayName = "roots" | "feature" | "threshold" | "left" | "right" | "value" | "leafClass";
const ARRAYS: Record<ArrayName, "i32" | "f64" | "f32"> = {
  roots: "i32",
  feature: "i32",
  threshold: "f64",
  left: "i32",
  right: "i32",
  value: "f32",
  leafClass: "i32",
};
/** Arrays only some forests have. */
const OPTIONAL: ReadonlySet<ArrayName> = new Set(["leafClass"]);

/**
 * The format version a bundle of `forest` is written with: 2 for sparse
 * leaves (which readers of version 1 would misread, so they refuse it), else
 * 1, which every mlops reads.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "./types.ts";
 *
 * declare const bundle: ModelBundle;
 * formatVersionOf(bundle.forest); // 1
 * ```
 */
export function formatVersionOf(forest: PackedForest): number {
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
  const { forest, ...rest } = bundle;
  const body = { ...rest, formatVersion: formatVersionOf(forest), forest: encodeForest(forest) };
  const json = JSON.stringify(body);
  const checksum = `sha256:${sha256(json)}`;
  return `${json.slice(0, -1)},"checksum":${JSON.stringify(checksum)}}`;
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
  const { checksum, ...body } = raw;
  if (typeof checksum !== "string") throw bad(source, "has no checksum");
  if (!checksumMatches(text, body, checksum)) {
    throw bad(source, "is corrupted (checksum mismatch)");
  }
  const bundle = body as unknown as ModelBundle & { forest: Record<string, unknown> };
  const forest = decodeForest(bundle.forest, source);
  validateForest(forest, source);
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

/**
 * Whether `checksum` is the hash of the body as {@link serializeBundle}
 * wrote it. A file as written ends with the checksum member, so the body's
 * text is at hand and the multi-megabyte re-serialisation (a tenth of an
 * edge's cold start) is only needed for files that were reformatted.
 */
function checksumMatches(text: string, body: Record<string, unknown>, checksum: string): boolean {
  const suffix = `,"checksum":${JSON.stringify(checksum)}}`;
  if (
    text.endsWith(suffix) && `sha256:${sha256(text.slice(0, -suffix.length) + "}")}` === checksum
  ) {
    return true;
  }
  return `sha256:${sha256(JSON.stringify(body))}` === checksum;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function encodeForest(f: PackedForest): Record<string, unknown> {
  const out: Record<string, unknown> = {
    nTrees: f.nTrees,
    nFeatures: f.nFeatures,
    nClasses: f.nClasses,
    encoding: "base64-le",
  };
  for (const name of Object.keys(ARRAYS) as ArrayName[]) {
    const a = f[name];
    if (a === undefined) continue;
    out[name] = Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
  }
  return out;
}

function decodeForest(raw: Record<string, unknown> | undefined, source: string): PackedForest {
  if (!raw || raw.encoding !== "base64-le") throw bad(source, "has no forest");
  const arrays: Partial<Record<ArrayName, Int32Array | Float64Array | Float32Array>> = {};
  for (const [name, type] of Object.entries(ARRAYS) as [ArrayName, string][]) {
    if (raw[name] === undefined && OPTIONAL.has(name)) continue;
    if (typeof raw[name] !== "string") throw bad(source, `is missing forest.${name}`);
    const bytes = Buffer.from(raw[name] as string, "base64");
    const size = type === "f64" ? 8 : 4;
    if (bytes.byteLength % size !== 0) throw bad(source, `has a truncated forest.${name}`);
    // Copy into an aligned buffer: Buffer slices may start at any offset.
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    arrays[name] = type === "i32"
      ? new Int32Array(copy.buffer)
      : type === "f64"
      ? new Float64Array(copy.buffer)
      : new Float32Array(copy.buffer);
  }
  return {
    nTrees: Number(raw.nTrees),
    nFeatures: Number(raw.nFeatures),
    nClasses: Number(raw.nClasses),
    ...(arrays as Pick<PackedForest, ArrayName>),
  } as PackedForest;
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
