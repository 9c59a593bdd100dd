/**
 * API tokens: long random secrets shown once, kept only as their SHA-256.
 *
 * A token has 256 bits of entropy, so a fast hash is the right one (a slow
 * password hash would only slow every API call). Tokens come from the data
 * dir (`rosterbox token create`) or the config's `api_tokens`.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { Config } from "../../config/mod.ts";
import type { Store } from "../../store/mod.ts";

export type Role = "admin" | "viewer";

export interface TokenInfo {
  name: string;
  role: Role;
  createdAt: string;
}

const PREFIX = "token\x00";

/** The hex SHA-256 a token is stored and configured as. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Makes a token, stores its hash, and returns the token (the only time it exists in clear).
 *
 * @example const token = createToken(store, "monitoring", "viewer"); // "rbx_…"
 */
export function createToken(store: Store, name: string, role: Role): string {
  const token = `rbx_${randomBytes(32).toString("base64url")}`;
  store.auth.putSync(PREFIX + tokenHash(token), { name, role, createdAt: new Date().toISOString() } satisfies TokenInfo);
  return token;
}

/**
 * Who a presented token belongs to, or undefined.
 *
 * @example findToken(store, config, bearer)?.role
 */
export function findToken(store: Store, config: Config, token: string): TokenInfo | undefined {
  const hash = tokenHash(token);
  const stored = store.auth.get(PREFIX + hash) as TokenInfo | undefined;
  if (stored) return stored;
  const configured = config.api_tokens?.find((t) => t.token_hash.replace(/^sha256:/, "") === hash);
  return configured ? { name: configured.name, role: configured.role ?? "viewer", createdAt: "" } : undefined;
}
