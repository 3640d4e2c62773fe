/**
 * The request contract derived from the model: one JSON Schema property per
 * feature, typed the way the encoder reads it, plus an example instance
 * built from the training statistics in the bundle.
 *
 * @module
 */
import type { FeatureSpec, FeatureStats } from "../../lib/data/serving.ts";
import type { ModelBundle } from "../../lib/model/mod.ts";

/** A JSON Schema object (OpenAPI 3.1 dialect). */
export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema of one instance: every feature required, extra fields
 * (identifiers, the target column) allowed and ignored.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../../lib/model/mod.ts";
 *
 * declare const bundle: ModelBundle;
 * instanceSchema(bundle).required; // ["gender", "SeniorCitizen", ...]
 * ```
 */
export function instanceSchema(bundle: ModelBundle): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of bundle.schema.features) properties[f.name] = featureSchema(f);
  return {
    type: "object",
    description: "One instance: raw feature values named as in the training CSV. " +
      "Fields the model does not use are ignored.",
    properties,
    required: bundle.schema.features.map((f) => f.name),
    additionalProperties: true,
    examples: [exampleInstance(bundle)],
  };
}

/**
 * A plausible instance: a typical value of each numeric feature and the
 * most common category of each categorical one.
 *
 * @example
 * ```ts
 * import type { ModelBundle } from "../../lib/model/mod.ts";
 *
 * declare const bundle: ModelBundle;
 * exampleInstance(bundle); // { gender: "Male", tenure: 29, ... }
 * ```
 */
export function exampleInstance(bundle: ModelBundle): Record<string, string | number | null> {
  const stats = new Map(bundle.featureStats.map((s) => [s.name, s]));
  const out: Record<string, string | number | null> = {};
  for (const f of bundle.schema.features) out[f.name] = exampleValue(f, stats.get(f.name));
  return out;
}

function featureSchema(f: FeatureSpec): JsonSchema {
  if (f.kind === "numeric") {
    return {
      type: ["number", "string", "null"],
      description: 'Numeric. A finite number or a decimal string ("29.85", "2e3"; not "0x10" ' +
        'or "Infinity"); null or "" means missing.',
    };
  }
  const shown = f.categories.slice(0, 30);
  const more = f.categories.length > shown.length
    ? ` (and ${f.categories.length - shown.length} more)`
    : "";
  return {
    type: ["string", "number", "boolean", "null"],
    description: `Categorical. Known values: ${shown.map((c) => JSON.stringify(c)).join(", ")}` +
      `${more}. Unseen values are accepted, scored as "none of the known" and counted; ` +
      'null or "" means missing; numbers and booleans are compared as text.',
    examples: shown.slice(0, 5),
  };
}

function exampleValue(f: FeatureSpec, s: FeatureStats | undefined): string | number | null {
  if (f.kind === "categorical") {
    if (s?.kind === "categorical" && s.proportions.length === f.categories.length) {
      let best = 0;
      s.proportions.forEach((p, i) => {
        if (p > s.proportions[best]) best = i;
      });
      return f.categories[best] ?? null;
    }
    return f.categories[0] ?? null;
  }
  if (s?.kind === "numeric" && s.count > 0) {
    // The decile edge nearest the mean: typical, and a value the data really
    // takes (a 0/1 flag stays 0 or 1).
    const near = s.edges.length === 0
      ? s.mean
      : s.edges.reduce((a, b) => Math.abs(b - s.mean) < Math.abs(a - s.mean) ? b : a);
    return Math.round(near * 100) / 100;
  }
  return 0;
}
