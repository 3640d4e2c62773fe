/**
 * Out-of-bag score: each row is predicted by the trees that did not see it,
 * as scikit-learn's `oob_score_`.
 *
 * A tree reports where its out-of-bag rows landed ({@link GrownTree.oobLeaf});
 * the tally adds those leaves' class distributions per row. Votes are summed
 * as fixed-point integers, so the score does not depend on the order trees
 * arrive in, hence not on the worker count. Memory is `rows × min(classes,
 * trees)` integers: with few classes, each tree is folded into one
 * `rows × classes` table as it arrives; with more classes than trees, the
 * trees' leaf indexes are kept and tallied one row at a time.
 *
 * @module
 */
import type { GrownTree } from "./tree.ts";

/**
 * Fixed-point scale for out-of-bag votes of a forest of `nTrees`: integer sums
 * are exact in any order (so the worker count cannot change the OOB score)
 * and never overflow an Int32.
 */
export function oobScale(nTrees: number): number {
  return Math.min(1 << 20, Math.floor(0x7fffffff / nTrees));
}

/** Collects the trees' out-of-bag votes and scores them. */
export interface OobTally {
  /** Takes a tree's out-of-bag leaves (trees in any order); may drop `tree.oobLeaf`. */
  add(tree: GrownTree): void;
  /** Out-of-bag accuracy, or null when no row was ever out of bag. */
  score(y: Int32Array): number | null;
}

/**
 * A tally for `nTrees` trees over `nRows` rows and `nClasses` classes.
 *
 * @example
 * ```ts
 * import { deriveSeed } from "../rng.ts";
 * import { growTree, type TreeData, type TreeParams } from "./tree.ts";
 *
 * declare const data: TreeData; // 3 classes
 * declare const params: TreeParams;
 * const { y } = data;
 * const tally = createOobTally(y.length, 3, 10);
 * for (let t = 0; t < 10; t++) tally.add(growTree(data, params, deriveSeed(42, t), true));
 * tally.score(y); // e.g. 0.93
 * ```
 */
export function createOobTally(nRows: number, nClasses: number, nTrees: number): OobTally {
  const scale = oobScale(nTrees);
  return nClasses <= nTrees
    ? foldedTally(nRows, nClasses, scale)
    : keptTally(nRows, nClasses, scale);
}

/** Few classes: one `rows × classes` table, each tree added as it arrives. */
function foldedTally(n: number, K: number, scale: number): OobTally {
  const votes = new Int32Array(n * K);
  return {
    add(tree) {
      const leaves = leavesOf(tree, n);
      for (let r = 0; r < n; r++) {
        if (leaves[r] >= 0) addLeaf(tree, leaves[r], K, scale, votes, r * K);
      }
      tree.oobLeaf = undefined;
    },
    score: (y) => accuracy(y, (r) => verdict(votes, r * K, null, K)),
  };
}

/** More classes than trees: keep each tree's leaf per row, tally one row at a time. */
function keptTally(n: number, K: number, scale: number): OobTally {
  const trees: GrownTree[] = [];
  return {
    add(tree) {
      leavesOf(tree, n);
      trees.push(tree);
    },
    score(y) {
      const votes = new Int32Array(K);
      // The classes voted for in the current row, once each: all a verdict needs to look at.
      const voted = new Uint8Array(K);
      const touched = new Int32Array(K);
      const score = accuracy(y, (r) => {
        let nTouched = 0;
        for (const tree of trees) {
          const node = tree.oobLeaf![r];
          if (node < 0) continue;
          addLeaf(tree, node, K, scale, votes, 0);
          const o = tree.left[node], cls = tree.leafClass;
          const e = cls ? o + tree.right[node] : o + K;
          for (let j = o; j < e; j++) {
            const c = cls ? cls[j] : j - o;
            if (voted[c] === 0) {
              voted[c] = 1;
              touched[nTouched++] = c;
            }
          }
        }
        const c = verdict(votes, 0, touched, nTouched);
        for (let i = 0; i < nTouched; i++) votes[touched[i]] = voted[touched[i]] = 0;
        return c;
      });
      for (const tree of trees) tree.oobLeaf = undefined;
      return score;
    },
  };
}

function leavesOf(tree: GrownTree, n: number): Int32Array {
  const leaves = tree.oobLeaf;
  if (!leaves || leaves.length !== n) throw new Error("tree was grown without out-of-bag leaves");
  return leaves;
}

/** Adds leaf `node`'s fixed-point class distribution to `votes[base ..]`. */
function addLeaf(
  tree: GrownTree,
  node: number,
  K: number,
  scale: number,
  votes: Int32Array,
  base: number,
): void {
  const o = tree.left[node];
  if (tree.leafClass) {
    for (let j = o; j < o + tree.right[node]; j++) {
      votes[base + tree.leafClass[j]] += Math.round(tree.value[j] * scale);
    }
  } else {
    for (let c = 0; c < K; c++) votes[base + c] += Math.round(tree.value[o + c] * scale);
  }
}

const NO_VOTE = -1;

/** Share of rows whose verdict is their class, among rows with one; null if none has. */
function accuracy(y: Int32Array, verdictOf: (row: number) => number): number | null {
  let seen = 0, right = 0;
  for (let r = 0; r < y.length; r++) {
    const c = verdictOf(r);
    if (c === NO_VOTE) continue;
    seen++;
    if (c === y[r]) right++;
  }
  return seen > 0 ? right / seen : null;
}

/**
 * The class with the most votes in `votes[base ..]` (ties: the lowest class),
 * or NO_VOTE when every count is 0. Looks at classes 0..m-1, or with `classes`
 * at its first `m` entries, the only classes that may be nonzero: any other
 * has 0 votes, which never wins once some class has more.
 */
function verdict(votes: Int32Array, base: number, classes: Int32Array | null, m: number): number {
  let best = NO_VOTE, bestV = 0;
  for (let i = 0; i < m; i++) {
    const c = classes ? classes[i] : i;
    const v = votes[base + c];
    if (v > bestV || (v === bestV && v > 0 && c < best)) {
      best = c;
      bestV = v;
    }
  }
  return best;
}
