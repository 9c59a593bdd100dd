/**
 * The sort of one run (`_runs.ts`): entries already laid out in a buffer as
 * `u32 keyBytes, u32 valueBytes, key, value`, ordered by their key bytes
 * without making a string or an object per entry.
 *
 * A key is `group NUL rest` (entity · sourcedId). Entries are first bucketed
 * by group (a handful per run), then each bucket is sorted on a 64-bit
 * number packing six characters of the rest — from the first position where
 * the bucket's keys differ — above the entry's arrival position, with the
 * typed array's own numeric sort: no comparator call per comparison. Sorting
 * an index array with a JavaScript comparator over the key strings was most
 * of the staging cost of a first import (≈2 s of 15 for 814k rows); this
 * takes ≈1/10 of that. Entries whose six characters tie (rare with ids that
 * differ early, as SIS ids do) are put in order by comparing their bytes.
 *
 * @module
 */

/** Bits of the packed number that hold the entry's position in its bucket. */
const POSITION_BITS = 22;
/** Most entries one run may hold (positions must fit their bits). */
export const MAX_RUN_ENTRIES = (1 << POSITION_BITS) - 1;
/** Characters of a key packed into the sort number, seven bits each. */
const WINDOW = 6;

/**
 * Returns the entries' indexes in key-byte order; entries with equal keys
 * stay in the order they were added.
 *
 * @param offsets where each entry starts in `buf`
 * @param groups each entry's group ordinal
 * @param groupNames the groups' names by ordinal
 * @param groupBytes the UTF-8 length of each group's name
 */
export function sortEntries(
  buf: Buffer, offsets: Uint32Array, groups: Uint16Array, n: number,
  groupNames: readonly string[], groupBytes: readonly number[],
): Uint32Array {
  // Buckets by group, in the groups' byte order; arrival order inside each.
  const byName = groupNames.map((_, i) => i).sort((a, b) => Buffer.compare(Buffer.from(groupNames[a]!), Buffer.from(groupNames[b]!)));
  const rankOf = new Uint32Array(groupNames.length);
  byName.forEach((ordinal, rank) => (rankOf[ordinal] = rank));
  const starts = new Uint32Array(groupNames.length + 1);
  for (let i = 0; i < n; i++) starts[rankOf[groups[i]!]! + 1]!++;
  for (let r = 1; r <= groupNames.length; r++) starts[r]! += starts[r - 1]!;
  const order = new Uint32Array(n);
  const fill = starts.slice(0, groupNames.length);
  for (let i = 0; i < n; i++) order[fill[rankOf[groups[i]!]!]!++] = i;

  const packed = new BigUint64Array(n);
  const scratch = new Uint32Array(n);
  for (let r = 0; r < groupNames.length; r++) {
    const s = starts[r]!, e = starts[r + 1]!;
    if (e - s > 1) sortBucket(buf, offsets, order, s, e, groupBytes[byName[r]!]!, packed, scratch);
  }
  return order;
}

/** Sorts `order[s, e)`, entries of one group whose names take `nameBytes`. */
function sortBucket(
  buf: Buffer, offsets: Uint32Array, order: Uint32Array, s: number, e: number, nameBytes: number,
  packed: BigUint64Array, scratch: Uint32Array,
): void {
  // Where each entry's rest starts and ends (a key without NUL has an empty rest).
  const restAt = (i: number) => Math.min(offsets[i]! + 8 + nameBytes + 1, offsets[i]! + 8 + buf.readUInt32LE(offsets[i]!));
  const keyEnd = (i: number) => offsets[i]! + 8 + buf.readUInt32LE(offsets[i]!);
  // The length of the prefix all rests share: the window starts after it.
  const first = order[s]!;
  const firstAt = restAt(first);
  let common = keyEnd(first) - firstAt;
  for (let k = s + 1; k < e && common > 0; k++) {
    const i = order[k]!;
    const at = restAt(i);
    const limit = Math.min(common, keyEnd(i) - at);
    let p = 0;
    while (p < limit && buf[at + p] === buf[firstAt + p]) p++;
    common = p;
  }
  const words = new Uint32Array(packed.buffer, 0, 2 * (e - s));
  for (let k = 0; k < e - s; k++) {
    const i = order[s + k]!;
    const at = restAt(i) + common;
    const end = keyEnd(i);
    let v = 0;
    for (let j = 0; j < WINDOW; j++) {
      const c = at + j < end ? buf[at + j]! : 0;
      // Seven bits keep order only for ASCII: any other byte sends the bucket to the comparator.
      if (c > 127) return compareSort(buf, offsets, order, s, e);
      v = v * 128 + c;
    }
    // v < 2^42: its top 32 bits in the high word, its low 10 bits above the position.
    words[2 * k + 1] = Math.floor(v / 1024);
    words[2 * k] = ((v % 1024) * (1 << POSITION_BITS) + k) >>> 0;
  }
  packed.subarray(0, e - s).sort();
  const mask = (1 << POSITION_BITS) - 1;
  for (let k = 0; k < e - s; k++) scratch[k] = order[s + (words[2 * k]! & mask)]!;
  // Equal packed windows: the rest of the keys decide (positions keep ties stable).
  for (let k = 0; k < e - s; ) {
    let t = k + 1;
    while (t < e - s && words[2 * t + 1] === words[2 * k + 1] && words[2 * t]! >>> POSITION_BITS === words[2 * k]! >>> POSITION_BITS) t++;
    if (t - k > 1) scratch.subarray(k, t).sort((a, b) => compareKeys(buf, offsets, a, b));
    k = t;
  }
  order.set(scratch.subarray(0, e - s), s);
}

function compareSort(buf: Buffer, offsets: Uint32Array, order: Uint32Array, s: number, e: number): void {
  order.subarray(s, e).sort((a, b) => compareKeys(buf, offsets, a, b));
}

/** Key bytes, then arrival order. */
function compareKeys(buf: Buffer, offsets: Uint32Array, a: number, b: number): number {
  const oa = offsets[a]!, ob = offsets[b]!;
  return buf.compare(buf, ob + 8, ob + 8 + buf.readUInt32LE(ob), oa + 8, oa + 8 + buf.readUInt32LE(oa)) || a - b;
}
