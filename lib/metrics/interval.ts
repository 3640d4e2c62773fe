/**
 * Confidence intervals for accuracies measured on live feedback: Wilson's
 * score interval for one proportion, and Newcombe's hybrid score interval
 * (his method 10) for the difference of two independent proportions, built
 * from the two Wilson intervals. Both stay inside [0, 1] (resp. [-1, 1]) and
 * behave at 0 or n successes, where the textbook Wald interval collapses.
 *
 * References: E. B. Wilson (1927), "Probable inference, the law of
 * succession, and statistical inference"; R. G. Newcombe (1998), "Interval
 * estimation for the difference between independent proportions: comparison
 * of eleven methods", Statistics in Medicine 17, 873–890.
 *
 * @module
 */

/** A two-sided interval with its point estimate. */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * The standard normal quantile (inverse CDF) at `p`, 0 < p < 1: Wichura's
 * algorithm AS 241 (PPND16), good to about 1e-16.
 *
 * @example
 * ```ts
 * import { normalQuantile } from "./interval.ts";
 *
 * normalQuantile(0.975); // 1.959963984540054
 * ```
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q *
      (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
                        45921.953931549871457) * r + 13731.693765509461125) * r +
                1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
                        21213.794301586595867) * r + 5394.1960214247511077) * r +
                687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                          0.24178072517745061177) * r + 1.27045825245236838258) * r +
                  3.64784832476320460504) * r + 5.7694972214606914055) * r +
          4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                            0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                    0.68976733498510000455) * r + 1.6763848301838038494) * r +
            2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    x = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                          0.0012426609473880784386) * r + 0.026532189526576123093) * r +
                  0.29656057182850489123) * r + 1.7848265399172913358) * r +
          5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                            1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
                    0.0148753612908506148525) * r + 0.13692988092273580531) * r +
            0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -x : x;
}

/** The two-sided z for a confidence level in (0, 1), e.g. 1.96 for 0.95. */
function zOf(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be between 0 and 1 (exclusive), got ${confidence}`);
  }
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * Wilson's score interval for `successes` out of `n` (n > 0).
 *
 * @example
 * ```ts
 * import { wilsonInterval } from "./interval.ts";
 *
 * wilsonInterval(81, 100); // { estimate: 0.81, lower: 0.7222..., upper: 0.8749... }
 * ```
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  checkCounts(successes, n);
  const z = zOf(confidence);
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt(p * (1 - p) / n + z2n / (4 * n));
  return {
    estimate: p,
    lower: Math.max(0, center - half),
    upper: Math.min(1, center + half),
  };
}

/**
 * Newcombe's hybrid score interval for the difference p2 − p1 of two
 * independent proportions (`x2`/`n2` minus `x1`/`n1`).
 *
 * @example
 * ```ts
 * import { newcombeInterval } from "./interval.ts";
 *
 * // Challenger 56/70 vs champion 48/80: +0.2, 95% CI about [0.0524, 0.3339]
 * newcombeInterval(48, 80, 56, 70);
 * ```
 */
export function newcombeInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence = 0.95,
): Interval {
  const a = wilsonInterval(x1, n1, confidence);
  const b = wilsonInterval(x2, n2, confidence);
  const d = b.estimate - a.estimate;
  return {
    estimate: d,
    lower: d - Math.sqrt((b.estimate - b.lower) ** 2 + (a.upper - a.estimate) ** 2),
    upper: d + Math.sqrt((b.upper - b.estimate) ** 2 + (a.estimate - a.lower) ** 2),
  };
}

function checkCounts(successes: number, n: number): void {
  if (
    !(Number.isInteger(n) && n > 0 && Number.isInteger(successes) && successes >= 0 &&
      successes <= n)
  ) {
    throw new RangeError(
      `expected whole counts with 0 <= successes <= n and n > 0, got ${successes}/${n}`,
    );
  }
}
