/**
 * The embedded default config's secrets: an `admin` web user and a
 * `demo-sis` SFTP user for the demo tenant, with passwords generated on the
 * first start, printed once, and kept only as hashes in
 * `<data_dir>/default-secrets.json` (mode 0600). No default password exists.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./schema.ts";
import { hashPassword } from "./secrets.ts";

interface StoredSecrets {
  admin: string;
  sftp: string;
}

/** A password of 20 characters from an unambiguous alphabet (about 116 bits). */
function newPassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  // randomInt, not a byte modulo 56: 256 is no multiple of 56, so the first 32 letters came up 5/4 as often.
  return Array.from({ length: 20 }, () => alphabet[randomInt(alphabet.length)]).join("");
}

/**
 * Adds the default users to `config`; on the first start, generates their
 * passwords and returns them so they can be shown once.
 *
 * @example const shown = await withDefaultSecrets(config); if (shown) console.log(shown);
 */
export async function withDefaultSecrets(config: Config): Promise<{ admin: string; sftp: string } | undefined> {
  const file = join(config.data_dir, "default-secrets.json");
  let shown: { admin: string; sftp: string } | undefined;
  let stored: StoredSecrets;
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as StoredSecrets;
  else {
    shown = { admin: newPassword(), sftp: newPassword() };
    stored = { admin: await hashPassword(shown.admin), sftp: await hashPassword(shown.sftp) };
    mkdirSync(config.data_dir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  }
  config.web_users = [{ username: "admin", password_hash: stored.admin, role: "admin" }];
  const demo = config.tenants.find((t) => t.id === "demo");
  if (demo) demo.sftp_users = [{ username: "demo-sis", password_hash: stored.sftp }];
  return shown;
}
