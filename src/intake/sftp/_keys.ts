/**
 * Host keys (made on first start: ed25519, and RSA 3072 for old clients;
 * kept 0600 in `<data_dir>/ssh/`) and users' authorized keys.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ssh2 from "ssh2";

export interface HostKey {
  private: string;
  /** `SHA256:…` as OpenSSH shows it. */
  fingerprint: string;
}

/** The SHA256 fingerprint of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(publicBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(publicBlob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Loads the host keys, making them on the first start.
 *
 * @example const keys = hostKeys("/var/lib/rosterbox"); keys.map((k) => k.fingerprint)
 */
export function hostKeys(dataDir: string): HostKey[] {
  const dir = join(dataDir, "ssh");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: HostKey[] = [];
  for (const [name, type] of [["host_ed25519", "ed25519"], ["host_rsa", "rsa"]] as const) {
    const path = join(dir, name);
    if (!existsSync(path)) writeFileSync(path, newHostKey(type), { mode: 0o600, flag: "wx" });
    const text = readFileSync(path, "utf8");
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error) throw new Error(`${path}: ${parsed.message}; a host key must be an unencrypted OpenSSH or PEM private key (remove the file and a new key is made at the next start; clients then see a new fingerprint)`);
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    out.push({ private: text, fingerprint: fingerprint(key.getPublicSSH()) });
  }
  return out;
}

/**
 * A new host private key (OpenSSH format) that ssh2 reads back.
 *
 * ssh2's keygen strips the leading zero bytes of an ed25519 public key
 * (mscdex/ssh2#1513, open in 1.17), so about 1 key in 256 it makes cannot
 * be parsed: written as the host key, it stopped every start. Such a key is
 * thrown away and another made.
 *
 * @example writeFileSync(path, newHostKey("ed25519"), { mode: 0o600, flag: "wx" });
 */
export function newHostKey(type: "ed25519" | "rsa"): string {
  for (;;) {
    const pair = type === "rsa" ? ssh2.utils.generateKeyPairSync("rsa", { bits: 3072 }) : ssh2.utils.generateKeyPairSync("ed25519");
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair.private;
  }
}

/** A parsed authorized key, ready to compare with what a client offers. */
export interface AuthorizedKey {
  algo: string;
  blob: Buffer;
  verify(data: Buffer, signature: Buffer, hashAlgo?: string): boolean;
}

/** Parses authorized_keys lines (the config checked they parse). */
export function authorizedKeys(lines: readonly string[] = []): AuthorizedKey[] {
  const out: AuthorizedKey[] = [];
  for (const line of lines) {
    const parsed = ssh2.utils.parseKey(line);
    if (parsed instanceof Error) continue;
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    out.push({
      algo: key.type,
      blob: key.getPublicSSH(),
      verify: (data, signature, hashAlgo) => key.verify(data, signature, hashAlgo as never) === true,
    });
  }
  return out;
}

/** Constant-time: the offered key is one of the user's. */
export function findKey(keys: readonly AuthorizedKey[], algo: string, blob: Buffer): AuthorizedKey | undefined {
  return keys.find((k) => k.algo === algo && k.blob.length === blob.length && timingSafeEqual(k.blob, blob));
}
