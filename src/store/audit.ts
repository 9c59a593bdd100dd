/**
 * The audit log: security events (SFTP logins, failed logins, denials,
 * bans, web sign-ins) kept in the store so the status page can show recent
 * ones after a restart. Bounded: the oldest go once there are more than
 * {@link AUDIT_KEEP}. The full stream also goes to the JSON log.
 *
 * @module
 */
import type { Store } from "./mod.ts";

export interface AuditEvent {
  time: string;
  event: string;
  [field: string]: unknown;
}

/** Events kept; about 10 MB of store at a few hundred bytes each. */
export const AUDIT_KEEP = 50_000;

let seq = 0;
let sincePrune = 0;

/**
 * Records one event (write queued by lmdb-js; it does not block the caller).
 *
 * @example appendAudit(store, "sftp.login_failed", { ip: "10.0.0.7", user: "strata-sis" })
 */
export function appendAudit(store: Store, event: string, fields: Record<string, unknown>): void {
  const now = new Date();
  const key = `${now.getTime().toString().padStart(15, "0")}\x00${String(seq++).padStart(9, "0")}`;
  void store.audit.put(key, { time: now.toISOString(), event, ...fields });
  if (++sincePrune >= 1_000) {
    sincePrune = 0;
    pruneAudit(store, AUDIT_KEEP);
  }
}

/** Removes the oldest events beyond `keep`. */
export function pruneAudit(store: Store, keep: number): void {
  const extra = store.audit.getKeysCount() - keep;
  if (extra <= 0) return;
  for (const key of store.audit.getKeys({ limit: extra })) void store.audit.remove(key);
}

/**
 * The newest events first, those `match` accepts.
 *
 * @example recentAudit(store, 20, (e) => e.event.startsWith("sftp."))
 */
export function recentAudit(store: Store, limit: number, match: (e: AuditEvent) => boolean = () => true): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const { value } of store.audit.getRange({ reverse: true })) {
    const e = value as AuditEvent;
    if (!match(e)) continue;
    out.push(e);
    if (out.length === limit) break;
  }
  return out;
}
