/**
 * A row's digest: a 53-bit hash of the row as read, seeded with its file's
 * header, so that a later import can recognise a row it has seen before
 * without checking it again (the importer's fingerprints, `_prints.ts`).
 *
 * The tokenizer hashes a record's raw text where it lies whole in one chunk
 * ({@link textDigest}, or {@link bytesDigest} from the bytes of an ASCII
 * chunk: most rows, a quarter of the cost of reading its field strings), and its values
 * otherwise ({@link valuesDigest}: a record crossing chunks, or one with
 * doubled quotes); the two never agree, so such a row may miss its match and
 * be checked in full, which costs time, not correctness. The adapter then
 * seeds the digest with the header ({@link seededDigest}). Two 32-bit lanes
 * of multiply-rotate steps, finished with murmur3's mixer. (Until version 4
 * the first lane was plain FNV-1a over 32-bit words, in which a word's top bit
 * never reaches another: two accents dropped at positions 3 mod 4, as in
 * "Sánchez" → "Sanchez", left 32 of the 53 bits equal.) Not
 * cryptographic: the importer also requires the sourcedId to match, so a
 * collision would have to fall on a changed row of the same record (about one
 * in 2^53 per changed row).
 *
 * @module
 */

/** Bump when what a row means changes (its checks, its body), so that older digests stop matching. */
const DIGEST_VERSION = "rosterbox-row-digest-4";

/** Seeds of one file's digests. */
export interface DigestSeed {
  a: number;
  b: number;
}

/**
 * The digest of `t[start, end)`, one record's raw text (line end excluded).
 * Text of characters below 256 is read four characters to a 32-bit word, the
 * same words {@link bytesDigest} reads from the bytes of ASCII text.
 *
 * @example textDigest('u1,active,"Ada"\n', 0, 15)
 */
export function textDigest(t: string, start: number, end: number): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  let seen = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const c0 = t.charCodeAt(i), c1 = t.charCodeAt(i + 1), c2 = t.charCodeAt(i + 2), c3 = t.charCodeAt(i + 3);
    seen |= c0 | c1 | c2 | c3;
    const w = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    a = Math.imul(a ^ w, 0x01000193);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ w, 0x9e3779b1);
  }
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    seen |= c;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
  }
  // Wider characters would overlap in a word: such text is read a character at a time.
  return seen < 256 ? finish(a, b, end - start) : wideDigest(t, start, end);
}

/**
 * {@link textDigest} of ASCII text from its bytes, through `view` (byte i is character i):
 * four bytes a step, a quarter of the reads.
 *
 * @example bytesDigest(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0, bytes.length)
 */
export function bytesDigest(view: DataView, start: number, end: number): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const w = view.getInt32(i, true);
    a = Math.imul(a ^ w, 0x01000193);
    // A multiply moves a bit only upwards: rotated, the top bit reaches the others at the next step.
    a = (a << 15) | (a >>> 17);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ w, 0x9e3779b1);
  }
  for (; i < end; i++) {
    const c = view.getUint8(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
  }
  return finish(a, b, end - start);
}

function wideDigest(t: string, start: number, end: number): number {
  let a = 0x85ebca6b;
  let b = 0xc2b2ae35;
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
  }
  return finish(a, b, 0x40000000 + end - start);
}

/**
 * The digest of a record's values (each closed by its length, so `["ab", ""]`
 * and `["a", "b"]` differ); never equal to a {@link textDigest} of the same row.
 *
 * @example valuesDigest(["u1", "active", "Ada"])
 */
export function valuesDigest(values: readonly string[]): number {
  let a = 0x01000193;
  let b = 0x85ebca6b;
  for (let v = 0; v < values.length; v++) {
    const s = values[v]!;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    a = Math.imul(a ^ (0x10000 + s.length), 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ (0x10000 + s.length), 0x9e3779b1);
  }
  // The -1 length marks the values form apart from any text.
  return finish(a, b, -1 - values.length);
}

/**
 * The seed for a file whose columns are `names` (canonical, in file order):
 * a header that changes makes every digest change.
 *
 * @example const seed = digestSeed(["sourcedId", "status"]);
 */
export function digestSeed(names: readonly string[]): DigestSeed {
  const d = valuesDigest([DIGEST_VERSION, ...names]);
  return { a: d % 0x100000000 | 0, b: Math.floor(d / 0x10000) | 0 };
}

/**
 * A tokenizer's digest of a row, seeded with its file's header.
 *
 * @example seededDigest(digestSeed(header), record.digest)
 */
export function seededDigest(seed: DigestSeed, digest: number): number {
  const hi = Math.floor(digest / 0x200000) | 0;
  const lo = digest % 0x200000 | 0;
  const a = mix(hi ^ seed.a);
  const b = mix(Math.imul(lo ^ seed.b, 0x9e3779b1) ^ a);
  return (a >>> 0) * 0x200000 + (b >>> 11);
}

function finish(a: number, b: number, length: number): number {
  b = Math.imul(b ^ length, 0x85ebca6b);
  return (mix(a) >>> 0) * 0x200000 + (mix(b ^ a) >>> 11);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
