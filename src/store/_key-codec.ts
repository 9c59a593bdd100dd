/**
 * How the store's string keys become bytes: plain UTF-8, nothing added.
 *
 * lmdb's default key encoding (ordered-binary) writes a string shorter than
 * 64 characters with every character ≤ 4 escaped (`\x00` → `\x04\x00`) but a
 * longer one as raw UTF-8, and reads raw `\x00`s back as an array of parts.
 * Our keys join their parts with `\x00`, so a key of 64 characters or more
 * (a long sourcedId, a session's hash) sorted outside its own prefix range:
 * range scans never saw it and it came back as an array. Plain UTF-8 keeps
 * one byte order for every length, and writes with one native call.
 *
 * Stores written before this encoding are re-keyed once when opened
 * ({@link migrateKeys}); the marker is kept in `meta`.
 *
 * @module
 */
import type { Database, RootDatabase } from "lmdb";

/** LMDB's key size limit (511 by default in C; lmdb-js builds with 1978). */
const MAX_KEY_BYTES = 1978;

type Utf8Buffer = Buffer & {
  utf8Write?: (text: string, offset: number) => number;
  utf8Slice?: (start: number, end: number) => string;
};

// Node's Buffer has the unchecked utf8Write/utf8Slice (one native call, no argument parsing);
// Deno's node:buffer may not: fall back to the public API.
const FAST = typeof (Buffer.prototype as Utf8Buffer).utf8Write === "function";

/**
 * The key encoder every database of the store is opened with.
 *
 * @example env.openDB({ name: "records", keyEncoder: utf8Keys })
 */
export const utf8Keys = {
  writeKey(key: string | Uint8Array, target: Utf8Buffer, start: number): number {
    if (typeof key === "string") {
      const end = start + (FAST ? target.utf8Write!(key, start) : target.write(key, start, "utf8"));
      // A key that filled the buffer may have been cut short: refuse it rather than store a prefix.
      if (end - start > MAX_KEY_BYTES || end >= target.length) throw new RangeError(`store key too long (${key.length} characters)`);
      return end;
    }
    // lmdb passes its own Buffer start key for open-ended ranges.
    if (key instanceof Uint8Array) {
      target.set(key, start);
      return start + key.length;
    }
    throw new TypeError(`store keys are strings, not ${typeof key}`);
  },
  readKey(buffer: Utf8Buffer, start: number, end: number): string {
    return FAST ? buffer.utf8Slice!(start, end) : buffer.toString("utf8", start, end);
  },
};

/**
 * The text of a key as lmdb's default encoding wrote it: a leading `\x1b`
 * when the first character was below 28, and `\x04` before each byte ≤ 4 in
 * strings under 64 characters. A key already in plain UTF-8 comes back as it
 * is, so re-keying can be repeated after a crash — as long as no key holds
 * `\x04` before a byte ≤ 4 or starts with `\x1b`, which none of keys.ts's
 * formats can (ids are id-safe, names of received files have no control
 * characters). Widen a key format to such bytes and this must change too.
 *
 * @example legacyKeyText(Buffer.from("t\x04\x00users")) // "t\x00users"
 */
export function legacyKeyText(bytes: Uint8Array): string {
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = bytes[0] === 27 ? 1 : 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 4 && i + 1 < bytes.length && bytes[i + 1]! <= 4) out[n++] = bytes[++i]!;
    else out[n++] = b;
  }
  return out.toString("utf8", 0, n);
}

const MARKER = "store\x00keys";
const BATCH = 5_000;

/**
 * Re-keys every entry of the named databases into plain UTF-8, once per store.
 * Each batch is one transaction and re-keying an entry twice is harmless, so a
 * process killed half-way finishes the job at the next open.
 *
 * @example migrateKeys(env, meta, ["records", "jobs"])
 */
export function migrateKeys(env: RootDatabase, meta: Database<unknown, string>, names: readonly string[]): number {
  if (meta.get(MARKER) === "utf8") return 0;
  let moved = 0;
  let told = false;
  for (const name of names) {
    const raw = env.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" });
    let after: Buffer | undefined;
    for (;;) {
      const batch: { from: Buffer; to: Buffer; value: Buffer }[] = [];
      let last: Buffer | undefined;
      for (const { key, value } of raw.getRange(after ? { start: after } : {})) {
        if (after && key.equals(after)) continue;
        last = Buffer.from(key);
        const to = Buffer.from(legacyKeyText(key), "utf8");
        // lmdb's encoding of "" (a lone \x1b) has no plain form: LMDB refuses empty keys. Leave it.
        if (to.length > 0 && !to.equals(key)) batch.push({ from: last, to, value: Buffer.from(value) });
        if (batch.length >= BATCH) break;
      }
      if (batch.length > 0) {
        // Once after an upgrade, and it takes a while on a big store: say why the start is slow.
        if (!told) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: "store.rekey", message: "re-keying the store to plain UTF-8 keys (once, after an upgrade)" })}\n`);
        told = true;
        env.transactionSync(() => {
          for (const { from, to, value } of batch) {
            if (raw.getBinary(from) === undefined) continue;
            raw.removeSync(from);
            raw.putSync(to, value);
          }
        });
        moved += batch.length;
      }
      if (!last || batch.length < BATCH) break;
      after = last;
    }
  }
  meta.putSync(MARKER, "utf8");
  return moved;
}
