/**
 * The quantized forest: the layout a bundle stores (format version 3) and the
 * WebAssembly kernel loads without further work.
 *
 * Nodes are in pre-order (a split's left child is the next node, so it is
 * not stored), and a split's threshold is its rank among the feature's
 * distinct thresholds (`cuts`, see `quantize.ts`), so a node is three
 * small integers: feature (-1 for a leaf), code (the threshold's rank,
 * 1-based; for a sparse leaf its number of entries) and link (a split's
 * right child as an offset from the split, or a leaf's first value). Each
 * array is stored in the narrowest type its values fit
 * ({@link narrowQuantized}): 4 bytes per node for the Telco model (`int8`,
 * `uint8`, `uint16`), at most 8. Against the packed layout (20 bytes per
 * node, and a pre-order pass, a sort of every feature's thresholds and a
 * binary search per node before the first prediction) the bundle is a
 * fraction of the size, and a server walks it as read
 * (`quantized_walk.ts`).
 *
 * Exact: `x > threshold` is `code(x) > code(threshold)`, and
 * {@link unquantizeForest} gives back the same trees (renumbered in
 * pre-order) with the same thresholds, so probabilities are equal bit for bit.
 *
 * @module
 */
import { preorder } from "./compiled.ts";
import { codeBytes, forestCuts, quantize } from "./quantize.ts";
import type { PackedForest } from "./types.ts";

/** A forest in the quantized pre-order layout. */
export interface QuantizedForest {
  nTrees: number;
  nFeatures: number;
  nClasses: number;
  /** Node index of each tree's root (ascending; tree t ends where t + 1 starts). */
  roots: Int32Array;
  /** Split feature per node, -1 for a leaf. */
  feature: Int8Array | Int16Array;
  /** Threshold rank per split (1-based into its feature's cuts); entries of a sparse leaf. */
  code: Uint8Array | Uint16Array;
  /** Per split, its right child's index minus its own (≥ 2); per leaf, its first value. */
  link: Uint16Array | Int32Array;
  /** Leaf class distributions, as in {@link PackedForest.value}. */
  value: Float32Array;
  /** Class of each `value` entry in a sparse forest. */
  leafClass?: Int32Array;
  /** Each feature's distinct split thresholds, ascending. */
  cuts: Float64Array[];
}

/** Most features a node's `int16` can name. */
const MAX_FEATURES = 0x7fff;
/** Most entries a sparse leaf's `uint16` can count. */
const MAX_LEAF_ENTRIES = 0xffff;

/**
 * The quantized layout of `forest`, or null when it does not fit (more than
 * 32,767 features, a feature with 65,535 or more distinct thresholds, or a
 * sparse leaf with more than 65,535 classes).
 *
 * @example
 * ```ts
 * import type { FitReport } from "./types.ts";
 *
 * declare const report: FitReport;
 * const q = quantizeForest(report.forest); // null: keep the packed layout
 * ```
 */
export function quantizeForest(forest: PackedForest): QuantizedForest | null {
  const { nTrees, nFeatures, nClasses, feature, threshold, left, right, leafClass } = forest;
  if (nFeatures > MAX_FEATURES || !walkable(forest)) return null;
  const cuts = forestCuts(forest);
  if (codeBytes(cuts) === null) return null;
  const n = feature.length;
  const qFeature = new Int16Array(n), code = new Uint16Array(n), link = new Int32Array(n);
  const leaves = leafTable(forest);
  let fits = true;
  const roots = preorder(forest, (old, id, rightOf) => {
    if (rightOf >= 0) link[rightOf] = id - rightOf;
    const f = feature[old];
    qFeature[id] = f < 0 ? -1 : f;
    if (f < 0) {
      const size = leafClass ? right[old] : nClasses;
      if (!(left[old] >= 0 && size >= 1 && left[old] + size <= forest.value.length)) fits = false;
      else link[id] = leaves.add(left[old], size);
      if (leafClass) {
        if (size > MAX_LEAF_ENTRIES) fits = false;
        code[id] = size;
      }
    } else code[id] = quantize(cuts[f], threshold[old]);
  });
  if (!fits) return null;
  return {
    nTrees,
    nFeatures,
    nClasses,
    roots,
    feature: qFeature,
    code,
    link,
    ...leaves.finish(),
    cuts,
  };
}

/**
 * `q` with each node array in the narrowest type its values fit: features
 * in `int8` below 128 features, codes in `uint8` below 256 thresholds per
 * feature and entries per sparse leaf, links in `uint16` when every right
 * child is within 65,535 nodes of its split and every leaf's values start
 * below 65,536. The walks read them alike.
 *
 * @example
 * ```ts
 * import type { QuantizedForest } from "./quantized.ts";
 *
 * declare const q: QuantizedForest;
 * narrowQuantized(q).link; // a Uint16Array for the Telco model
 * ```
 */
export function narrowQuantized(q: QuantizedForest): QuantizedForest {
  const most = (a: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
    return m;
  };
  return {
    ...q,
    feature: most(q.feature) <= 0x7f ? Int8Array.from(q.feature) : q.feature,
    code: most(q.code) <= 0xff ? Uint8Array.from(q.code) : q.code,
    link: most(q.link) <= 0xffff ? Uint16Array.from(q.link) : q.link,
  };
}

/**
 * Leaf distributions stored once each: leaves with equal values (every pure
 * leaf of a class, the same small fractions) share one offset. Most of a
 * fully grown tree's leaves are pure, so this drops nearly all of `value`
 * from the bundle; walks read the same numbers, so predictions are unchanged.
 */
function leafTable(forest: PackedForest) {
  const { value, leafClass } = forest;
  const bits = new Uint32Array(value.buffer, value.byteOffset, value.length);
  const at = new Map<string, number>();
  const values: number[] = [], classes: number[] = [];
  return {
    /** The shared offset of the `size` entries at `offset`. */
    add(offset: number, size: number): number {
      let key = "";
      for (let j = offset; j < offset + size; j++) {
        key += leafClass ? `${leafClass[j]}:${bits[j]},` : `${bits[j]},`;
      }
      let o = at.get(key);
      if (o === undefined) {
        o = values.length;
        at.set(key, o);
        for (let j = offset; j < offset + size; j++) {
          values.push(value[j]);
          if (leafClass) classes.push(leafClass[j]);
        }
      }
      return o;
    },
    finish(): Pick<QuantizedForest, "value" | "leafClass"> {
      return {
        value: Float32Array.from(values),
        ...(leafClass ? { leafClass: Int32Array.from(classes) } : {}),
      };
    },
  };
}

/**
 * Whether every split's children come after it within its tree, so the
 * pre-order pass ends (a malformed forest is left to the packed layout,
 * whose reader refuses it with the reason).
 */
function walkable(f: PackedForest): boolean {
  const { nTrees, roots, feature, left, right, value, leafClass } = f;
  const n = feature.length;
  if (roots.length !== nTrees || left.length !== n || right.length !== n) return false;
  if (leafClass && leafClass.length !== value.length) return false;
  for (let t = 0; t < nTrees; t++) {
    const start = roots[t], end = t + 1 < nTrees ? roots[t + 1] : n;
    if (!(start >= 0 && start < end && end <= n)) return false;
    for (let i = start; i < end; i++) {
      if (feature[i] < 0) continue;
      if (!(left[i] > i && left[i] < end && right[i] > i && right[i] < end)) return false;
    }
  }
  return true;
}

/**
 * The packed layout of a quantized forest (in pre-order), for the scalar
 * walk and everything else that reads {@link PackedForest}.
 *
 * @example
 * ```ts
 * import type { QuantizedForest } from "./quantized.ts";
 *
 * declare const q: QuantizedForest;
 * const forest = unquantizeForest(q);
 * ```
 */
export function unquantizeForest(q: QuantizedForest): PackedForest {
  const n = q.feature.length;
  const feature = new Int32Array(n), threshold = new Float64Array(n);
  const left = new Int32Array(n), right = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const f = q.feature[i];
    feature[i] = f;
    if (f < 0) {
      left[i] = q.link[i];
      right[i] = q.leafClass ? q.code[i] : -1;
    } else {
      threshold[i] = q.cuts[f][q.code[i] - 1];
      left[i] = i + 1;
      right[i] = i + q.link[i];
    }
  }
  return {
    nTrees: q.nTrees,
    nFeatures: q.nFeatures,
    nClasses: q.nClasses,
    roots: q.roots,
    feature,
    threshold,
    left,
    right,
    value: q.value,
    ...(q.leafClass ? { leafClass: q.leafClass } : {}),
  };
}

/**
 * Why `q` cannot be walked safely, or null when it can: every tree is a
 * contiguous range of nodes, children come after their parent within it
 * (so a walk ends), codes and features are in range, and every leaf's
 * values are inside `value`. Whatever a file says, a walk never loops and
 * never reads out of bounds.
 *
 * @example
 * ```ts
 * import type { QuantizedForest } from "./quantized.ts";
 *
 * declare const q: QuantizedForest;
 * const problem = checkQuantizedForest(q); // "a broken node in tree 3"
 * ```
 */
export function checkQuantizedForest(q: QuantizedForest): string | null {
  const { nTrees, nFeatures, nClasses, roots, feature, code, link, value, leafClass, cuts } = q;
  const n = feature.length;
  if (
    !(Number.isInteger(nTrees) && nTrees >= 1 && roots.length === nTrees &&
      Number.isInteger(nFeatures) && nFeatures >= 1 && nFeatures <= MAX_FEATURES &&
      Number.isInteger(nClasses) && nClasses >= 2 && code.length === n && link.length === n &&
      cuts.length === nFeatures && (!leafClass || leafClass.length === value.length))
  ) {
    return "an inconsistent forest header";
  }
  for (let f = 0; f < nFeatures; f++) {
    const c = cuts[f];
    if (c.length > MAX_LEAF_ENTRIES - 1) return `too many thresholds for feature ${f}`;
    for (let j = 0; j < c.length; j++) {
      if (!(j === 0 ? c[j] === c[j] : c[j] > c[j - 1])) {
        return `unsorted thresholds of feature ${f}`;
      }
    }
  }
  if (leafClass) {
    for (let j = 0; j < leafClass.length; j++) {
      if (!(leafClass[j] >= 0 && leafClass[j] < nClasses)) {
        return `a leaf class out of range (${leafClass[j]})`;
      }
    }
  }
  const dense = leafClass ? 0 : nClasses;
  for (let t = 0; t < nTrees; t++) {
    const start = roots[t];
    const end = t + 1 < nTrees ? roots[t + 1] : n;
    if (!(start >= 0 && start < end && end <= n)) return `a broken tree ${t}`;
    for (let i = start; i < end; i++) {
      const f = feature[i];
      if (f === -1) {
        const size = leafClass ? code[i] : dense;
        if (!(link[i] >= 0 && size >= 1 && link[i] + size <= value.length)) {
          return `a broken leaf in tree ${t}`;
        }
      } else if (
        !(f >= 0 && f < nFeatures && code[i] >= 1 && code[i] <= cuts[f].length &&
          i + 1 < end && link[i] >= 2 && i + link[i] < end)
      ) {
        return `a broken node in tree ${t}`;
      }
    }
  }
  return null;
}

/** Quantized layouts of forests, by the forest object they describe. */
const quantizedOf = new WeakMap<PackedForest, QuantizedForest>();

/**
 * The quantized layout `forest` was read as or made from, if any (so the
 * kernel loads it without quantizing again).
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../model/mod.ts";
 *
 * declare const bundle: ModelBundle;
 * quantizedLayoutOf(bundle.forest); // the format-3 bundle's nodes, or undefined
 * ```
 */
export function quantizedLayoutOf(forest: PackedForest): QuantizedForest | undefined {
  return quantizedOf.get(forest);
}

/**
 * A {@link PackedForest} over `q` whose node arrays (`feature`, `threshold`,
 * `left`, `right`) are built from `q` on first access, with `q` remembered
 * as its layout ({@link quantizedLayoutOf}). A server that only walks the
 * forest in the kernel never builds them.
 *
 * @example
 * ```ts
 * import type { QuantizedForest } from "./quantized.ts";
 * import { loadWalker } from "./walker.ts";
 *
 * declare const q: QuantizedForest;
 * const forest = packedView(q);
 * loadWalker(forest); // from q, without touching forest.threshold
 * ```
 */
export function packedView(q: QuantizedForest): PackedForest {
  let packed: PackedForest | undefined;
  const nodes = () => (packed ??= unquantizeForest(q));
  const lazy = (name: "feature" | "threshold" | "left" | "right") => ({
    enumerable: true,
    configurable: true,
    get: () => nodes()[name],
  });
  const forest = {
    nTrees: q.nTrees,
    nFeatures: q.nFeatures,
    nClasses: q.nClasses,
    roots: q.roots,
    value: q.value,
    ...(q.leafClass ? { leafClass: q.leafClass } : {}),
  } as PackedForest;
  Object.defineProperties(forest, {
    feature: lazy("feature"),
    threshold: lazy("threshold"),
    left: lazy("left"),
    right: lazy("right"),
  });
  quantizedOf.set(forest, q);
  return forest;
}
