/**
 * Metric names in PromQL, for the tests that check rules and dashboards
 * against what the edge and the bot export.
 *
 * @module
 */

const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "inf",
  "nan",
  "atan2",
]);

/** Metric names in a PromQL expression (a lexer-level approximation, enough for our exprs). */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const out: string[] = [];
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = s[m.index! - 1] ?? " ";
    if (/[0-9.$]/.test(before)) continue; // 1e-9, $__rate_interval, $job
    if (/^\s*\(/.test(s.slice(m.index! + m[0].length))) continue; // function call
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    out.push(m[0]);
  }
  return out;
}
