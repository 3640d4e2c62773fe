/**
 * Alertmanager's v2 API: active alerts, silences, creating and expiring a
 * silence.
 *
 * @module
 */
import { fetchJson, fetchOk } from "../../lib/backend_http.ts";

/** A label matcher as Alertmanager's API takes it. */
export interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

/** A silence as Alertmanager returns it. */
export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: "active" | "pending" | "expired" };
}

/** An alert as Alertmanager returns it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  fingerprint: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

/** A client for one Alertmanager. */
export class Alertmanager {
  constructor(readonly base: string) {}

  /** Active, unsilenced, uninhibited alerts. */
  alerts(): Promise<AmAlert[]> {
    return fetchJson<AmAlert[]>(
      "Alertmanager",
      `${this.base}/api/v2/alerts?active=true&silenced=false&inhibited=false`,
    );
  }

  /** Silences, all states. */
  silences(): Promise<Silence[]> {
    return fetchJson<Silence[]>("Alertmanager", `${this.base}/api/v2/silences`);
  }

  /** Creates a silence; returns its id. */
  async createSilence(s: {
    matchers: Record<string, string>;
    startsAt: Date;
    endsAt: Date;
    createdBy: string;
    comment: string;
  }): Promise<string> {
    const body = await fetchJson<{ silenceID: string }>(
      "Alertmanager",
      `${this.base}/api/v2/silences`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          matchers: Object.entries(s.matchers).map(([name, value]) => ({
            name,
            value,
            isRegex: false,
            isEqual: true,
          })),
          startsAt: s.startsAt.toISOString(),
          endsAt: s.endsAt.toISOString(),
          createdBy: s.createdBy,
          comment: s.comment,
        }),
      },
    );
    return body.silenceID;
  }

  /** Expires a silence. */
  async expireSilence(id: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error("not a silence id");
    await fetchOk("Alertmanager", `${this.base}/api/v2/silence/${id}`, { method: "DELETE" });
  }
}
