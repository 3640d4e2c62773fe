/**
 * Wilson and Newcombe intervals against values computed independently:
 * Python 3 with scipy's `norm.ppf`, Wilson's bounds as the roots of the
 * score quadratic (p̂ − P)² = z²·P(1 − P)/n rather than the closed form the
 * library uses, and Newcombe's method 10 from those (script in the comment
 * at the end). The first Newcombe row is the worked example of Newcombe
 * (1998), table II: 56/70 − 48/80, 95% CI 0.0524 to 0.3339.
 */
import { strict as assert } from "node:assert";
import { newcombeInterval, normalQuantile, wilsonInterval } from "../lib/metrics/mod.ts";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);

Deno.test("normalQuantile matches scipy's norm.ppf", () => {
  for (
    const [p, z] of [
      [0.975, 1.959963984540054],
      [0.995, 2.5758293035489004],
      [1e-10, -6.361340902404056],
      [0.3, -0.5244005127080409],
    ]
  ) close(normalQuantile(p), z, `ppf(${p})`);
  assert.throws(() => normalQuantile(1), RangeError);
});

Deno.test("wilsonInterval: table", () => {
  const table: [number, number, number, number, number][] = [
    [81, 100, 0.95, 0.7222115462093565, 0.8748524849023125],
    [0, 10, 0.95, 0, 0.2775327998628892],
    [10, 10, 0.95, 0.7224672001371114, 1],
    [1, 1, 0.99, 0.13097754328018588, 1],
  ];
  for (const [x, n, conf, lo, hi] of table) {
    const w = wilsonInterval(x, n, conf);
    close(w.estimate, x / n, `${x}/${n} estimate`);
    close(w.lower, lo, `${x}/${n} lower`);
    close(w.upper, hi, `${x}/${n} upper`);
  }
});

Deno.test("newcombeInterval: table (challenger x2/n2 − champion x1/n1)", () => {
  const table: [number, number, number, number, number, number, number, number][] = [
    // x1, n1, x2, n2, confidence, estimate, lower, upper
    [48, 80, 56, 70, 0.95, 0.2, 0.05243147240236515, 0.3338726540369059],
    [960, 1200, 340, 400, 0.95, 0.05, 0.005988349238666646, 0.08946812098699714],
    [0, 10, 10, 10, 0.95, 1, 0.6075093504305247, 1],
    [5, 5, 0, 5, 0.95, -1, -1, -0.38554900569034356],
    [400, 500, 400, 500, 0.95, 0, -0.04960560403812226, 0.04960560403812226],
    [80, 100, 90, 100, 0.9, 0.1, 0.01664037054540639, 0.18316532635082985],
    [800, 1000, 830, 1000, 0.99, 0.03, -0.014790819627041325, 0.07469391003923767],
    [1, 1, 1, 1, 0.95, 0, -0.7934506856227626, 0.7934506856227626],
  ];
  for (const [x1, n1, x2, n2, conf, d, lo, hi] of table) {
    const what = `${x2}/${n2} − ${x1}/${n1} at ${conf}`;
    const r = newcombeInterval(x1, n1, x2, n2, conf);
    close(r.estimate, d, `${what} estimate`);
    close(r.lower, lo, `${what} lower`);
    close(r.upper, hi, `${what} upper`);
  }
});

Deno.test("intervals refuse counts that are not counts", () => {
  assert.throws(() => wilsonInterval(3, 0), RangeError);
  assert.throws(() => wilsonInterval(5, 4), RangeError);
  assert.throws(() => wilsonInterval(1.5, 4), RangeError);
  assert.throws(() => wilsonInterval(1, 4, 1), RangeError);
});

/*
from scipy.stats import norm
import math
def wilson(x, n, conf=0.95):
    z = norm.ppf(1 - (1 - conf) / 2); p = x / n
    a = 1 + z*z/n; b = -(2*p + z*z/n); c = p*p
    disc = math.sqrt(b*b - 4*a*c)
    return ((-b - disc) / (2*a), (-b + disc) / (2*a))
def newcombe(x1, n1, x2, n2, conf=0.95):
    l1, u1 = wilson(x1, n1, conf); l2, u2 = wilson(x2, n2, conf)
    p1 = x1/n1; p2 = x2/n2; d = p2 - p1
    return (d, d - math.sqrt((p2-l2)**2 + (u1-p1)**2), d + math.sqrt((u2-p2)**2 + (p1-l1)**2))
*/
