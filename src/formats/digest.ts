/**
 * A row's digest: a 53-bit hash of its values as read, seeded by the file's
 * header, so that a later import can recognise a row it has seen before
 * without checking it again (the importer's fingerprints, `_prints.ts`).
 *
 * Two 32-bit lanes (FNV-1a and a rotate-multiply) over the UTF-16 code units,
 * two at a time, each value closed by its length, finished with murmur3's mixer. Not
 * cryptographic: the importer also requires the sourcedId to match, so a
 * collision would have to fall on a changed row of the same record (about one
 * in 2^53 per changed row).
 *
 * @module
 */

/** Bump when what a row means changes (its checks, its body), so that older digests stop matching. */
const DIGEST_VERSION = "rosterbox-row-digest-1";

/** Seeds of one file's digests. */
export interface DigestSeed {
  a: number;
  b: number;
}

/**
 * The seed for a file whose columns are `names` (canonical, in file order):
 * a header that changes makes every digest change.
 *
 * @example const seed = digestSeed(["sourcedId", "status"]);
 */
export function digestSeed(names: readonly string[]): DigestSeed {
  const start = { a: 0x811c9dc5, b: 0x9e3779b9 };
  const d = rowDigest(start, [DIGEST_VERSION, ...names]);
  return { a: d % 0x100000000 | 0, b: Math.floor(d / 0x10000) | 0 };
}

/**
 * The digest of one row's values, in `[0, 2^53)`.
 *
 * @example rowDigest(seed, ["u1", "active", ""]) === rowDigest(seed, ["u1", "active", ""]); // true
 */
export function rowDigest(seed: DigestSeed, values: readonly string[]): number {
  let a = seed.a;
  let b = seed.b;
  for (let v = 0; v < values.length; v++) {
    const s = values[v]!;
    const n = s.length;
    let i = 0;
    // Two code units a step: the digest reads every character of every row.
    for (; i + 1 < n; i += 2) {
      const c = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    if (i < n) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    // The value's length closes it, which keeps ["ab", ""] and ["a", "b"] apart.
    a = Math.imul(a ^ (0x10000 + n), 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ (0x10000 + n), 0x9e3779b1);
  }
  return (mix(a) >>> 0) * 0x200000 + (mix(b ^ a) >>> 11);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
