/**
 * Alertmanager's webhook payload (version 4), checked where it enters: a
 * body that is not exactly this shape is refused with one line naming the
 * first field at fault, so nothing half-parsed reaches the outbox.
 *
 * @module
 */

/** Firing or resolved. */
export type AlertStatus = "firing" | "resolved";

/** One alert of a notification. */
export interface Alert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; Alertmanager sends `0001-01-01T00:00:00Z` while firing. */
  endsAt: string;
  generatorURL: string;
  /** Alertmanager's hash of the labels; computed here when a sender omits it. */
  fingerprint: string;
}

/** One webhook notification: a group of alerts. */
export interface Notification {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: AlertStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Alert[];
}

/** A payload that is not Alertmanager's webhook format. */
export class PayloadError extends Error {
  override name = "PayloadError";
}

// deno-lint-ignore no-explicit-any
type Json = any;

function str(v: Json, path: string, optional = false): string {
  if (v === undefined && optional) return "";
  if (typeof v !== "string") throw new PayloadError(`${path} must be a string`);
  return v;
}

function labelMap(v: Json, path: string, optional = false): Record<string, string> {
  if (v === undefined && optional) return {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new PayloadError(`${path} must be an object of strings`);
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string") throw new PayloadError(`${path}.${k} must be a string`);
    out[k] = val;
  }
  return out;
}

function status(v: Json, path: string): AlertStatus {
  if (v !== "firing" && v !== "resolved") {
    throw new PayloadError(`${path} must be "firing" or "resolved"`);
  }
  return v;
}

function time(v: Json, path: string): string {
  const s = str(v, path);
  if (Number.isNaN(Date.parse(s))) throw new PayloadError(`${path} is not an RFC 3339 time`);
  return s;
}

/**
 * A stable fingerprint of a label set (FNV-1a over the sorted pairs), for
 * senders that do not send Alertmanager's own.
 */
export function labelsFingerprint(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const text = Object.keys(labels).sort().map((k) => `${k}\xff${labels[k]}\xff`).join("");
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * Checks and normalises a parsed JSON body.
 *
 * @example
 * ```ts
 * const n = parseNotification({
 *   version: "4", groupKey: "{}:{alertname=\"EdgeDown\"}", status: "firing", receiver: "mlops-bot",
 *   groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am:9093",
 *   alerts: [{ status: "firing", labels: { alertname: "EdgeDown" }, annotations: {},
 *     startsAt: "2025-01-01T00:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "" }],
 * });
 * n.alerts[0].fingerprint; // computed from the labels
 * ```
 */
export function parseNotification(body: Json): Notification {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new PayloadError("body must be a JSON object (Alertmanager webhook payload)");
  }
  if (body.version !== "4") {
    throw new PayloadError(
      `version must be "4" (Alertmanager's webhook format), got ${JSON.stringify(body.version)}`,
    );
  }
  if (!Array.isArray(body.alerts)) throw new PayloadError("alerts must be an array");
  const truncated = body.truncatedAlerts ?? 0;
  if (!Number.isInteger(truncated) || truncated < 0) {
    throw new PayloadError("truncatedAlerts must be a non-negative integer");
  }
  const alerts = body.alerts.map((a: Json, i: number): Alert => {
    const p = `alerts[${i}]`;
    if (a === null || typeof a !== "object" || Array.isArray(a)) {
      throw new PayloadError(`${p} must be an object`);
    }
    const labels = labelMap(a.labels, `${p}.labels`);
    const fingerprint = a.fingerprint === undefined || a.fingerprint === ""
      ? labelsFingerprint(labels)
      : str(a.fingerprint, `${p}.fingerprint`);
    if (!/^[A-Za-z0-9]{1,64}$/.test(fingerprint)) {
      throw new PayloadError(`${p}.fingerprint must be 1-64 letters and digits`);
    }
    return {
      status: status(a.status, `${p}.status`),
      labels,
      annotations: labelMap(a.annotations, `${p}.annotations`, true),
      startsAt: time(a.startsAt, `${p}.startsAt`),
      endsAt: a.endsAt === undefined ? "0001-01-01T00:00:00Z" : time(a.endsAt, `${p}.endsAt`),
      generatorURL: str(a.generatorURL, `${p}.generatorURL`, true),
      fingerprint,
    };
  });
  return {
    version: "4",
    groupKey: str(body.groupKey, "groupKey"),
    truncatedAlerts: truncated,
    status: status(body.status, "status"),
    receiver: str(body.receiver, "receiver", true),
    groupLabels: labelMap(body.groupLabels, "groupLabels", true),
    commonLabels: labelMap(body.commonLabels, "commonLabels", true),
    commonAnnotations: labelMap(body.commonAnnotations, "commonAnnotations", true),
    externalURL: str(body.externalURL, "externalURL", true),
    alerts,
  };
}

/**
 * The duplicate-detection key of a notification: its group key and each
 * alert's fingerprint, status and start time. Two Alertmanagers of an HA
 * pair, or one retrying, produce the same key; a change in the group (an
 * alert joins or resolves) produces a new one.
 */
export async function dedupKey(n: Notification): Promise<string> {
  const parts = n.alerts
    .map((a) => `${a.fingerprint}|${a.status}|${Date.parse(a.startsAt)}`)
    .sort();
  const text = [n.groupKey, ...parts].join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
