/**
 * Password hashes in PHC string format, with node:crypto's scrypt:
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, no padding). Passwords are
 * never stored; comparison is constant-time.
 *
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const LN = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, ln: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key))));
}

const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");

/**
 * Hashes a password for the config (`password_hash`).
 *
 * @example await hashPassword("correct horse") // "$scrypt$ln=15,r=8,p=1$…$…"
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, LN, R, P);
  return `$scrypt$ln=${LN},r=${R},p=${P}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Whether `hash` is a password hash this module can check. */
export function isPasswordHash(hash: string): boolean {
  const m = PHC.exec(hash);
  return m !== null && Number(m[1]) >= 10 && Number(m[1]) <= 20;
}

/**
 * Checks a password against a hash from {@link hashPassword}.
 *
 * @example await verifyPassword("correct horse", hash) // true
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = PHC.exec(hash);
  if (!m || !isPasswordHash(hash)) return false;
  const expected = Buffer.from(m[5]!, "base64");
  const key = await derive(password, Buffer.from(m[4]!, "base64"), Number(m[1]), Number(m[2]), Number(m[3]));
  return key.length === expected.length && timingSafeEqual(key, expected);
}
