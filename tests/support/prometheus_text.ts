/**
 * A strict reader of the Prometheus text exposition format (0.0.4), enough
 * to prove `/metrics` parses: every sample belongs to a declared family,
 * names and labels are well-formed, values are numbers, and histograms are
 * cumulative and end in `+Inf` equal to `_count`.
 *
 * @module
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its HELP/TYPE header and samples. */
export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES = ["_bucket", "_count", "_sum", "_total", "_created"];

/** Parses `text`; throws with the line number on anything malformed. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const at = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`bad metric name, ${at}`);
      const f = families.get(name) ?? { name, type: "untyped", help: "", samples: [] };
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`bad type, ${at}`);
        if (f.samples.length > 0) throw new Error(`TYPE after samples, ${at}`);
        f.type = rest;
      } else if (kind === "HELP") f.help = rest;
      families.set(name, f);
      return;
    }
    const s = parseSample(line, at);
    const family = familyOf(families, s.name);
    if (!family) throw new Error(`sample without a declared family, ${at}`);
    family.samples.push(s);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function parseSample(line: string, at: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error(`bad sample, ${at}`);
  const labels: Record<string, string> = {};
  let rest = m[3] ?? "";
  while (rest.length > 0) {
    const l = /^([^=]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (!l || !LABEL.test(l[1])) throw new Error(`bad label set, ${at}`);
    if (l[1] in labels) throw new Error(`duplicate label ${l[1]}, ${at}`);
    labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    rest = rest.slice(l[0].length);
  }
  const raw = m[4];
  const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
  if (raw !== "NaN" && Number.isNaN(value)) throw new Error(`bad value, ${at}`);
  return { name: m[1], labels, value };
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const exact = families.get(sample);
  if (exact) return exact;
  for (const suffix of SUFFIXES) {
    if (sample.endsWith(suffix)) {
      const f = families.get(sample.slice(0, -suffix.length));
      if (f) return f;
    }
  }
  return undefined;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const e = series.get(key) ?? { buckets: [] };
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      e.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_count`) e.count = s.value;
    series.set(key, e);
  }
  for (const [key, e] of series) {
    const sorted = [...e.buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`${f.name}${key}: not cumulative`);
    }
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (inf[1] !== e.count) throw new Error(`${f.name}${key}: +Inf bucket != _count`);
  }
}

/**
 * The value of one sample of `${url}/metrics` (its labels include `labels`),
 * 0 when absent. The text is parsed strictly, so a malformed page fails.
 *
 * @example
 * ```ts
 * const delivered = await scrapeValue("http://127.0.0.1:8081", "mlops_bot_alerts_delivered_total");
 * ```
 */
export async function scrapeValue(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const families = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  const family = families.get(name.replace(/_total$/, "")) ?? families.get(name);
  const sample = family?.samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  return sample?.value ?? 0;
}
