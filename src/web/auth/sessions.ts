/**
 * Staff sessions: a random cookie value, stored only as its SHA-256 with the
 * user, role, CSRF token and expiry, so a copy of the data dir holds no
 * usable session. Sessions survive a restart of the service.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { Store } from "../../store/mod.ts";
import type { Role } from "./tokens.ts";

export interface Session {
  user: string;
  role: Role;
  /** Sent back in every form and unsafe API call made with this session. */
  csrf: string;
  expires: number;
}

/** A session ends this long after sign-in: one working day. */
export const SESSION_MS = 10 * 3600_000;
const PREFIX = "session\x00";
const key = (id: string) => PREFIX + createHash("sha256").update(id).digest("hex");

/**
 * Opens a session; returns the cookie value.
 *
 * @example const id = openSession(store, "admin", "admin");
 */
export function openSession(store: Store, user: string, role: Role, now = Date.now()): string {
  const id = randomBytes(32).toString("base64url");
  store.auth.putSync(key(id), { user, role, csrf: randomBytes(24).toString("base64url"), expires: now + SESSION_MS } satisfies Session);
  return id;
}

/** The live session of a cookie value, or undefined (an expired one is removed). */
export function findSession(store: Store, id: string, now = Date.now()): Session | undefined {
  if (id.length !== 43) return undefined;
  const s = store.auth.get(key(id)) as Session | undefined;
  if (s && s.expires <= now) {
    store.auth.removeSync(key(id));
    return undefined;
  }
  return s;
}

/** @example closeSession(store, cookieValue) */
export function closeSession(store: Store, id: string): void {
  store.auth.removeSync(key(id));
}

/** Removes expired sessions (run now and then). */
export function pruneSessions(store: Store, now = Date.now()): number {
  let removed = 0;
  for (const { key: k, value } of store.auth.getRange({ start: PREFIX, end: "session\x01" })) {
    if ((value as Session).expires <= now) {
      store.auth.removeSync(k);
      removed++;
    }
  }
  return removed;
}
