/**
 * A bounded memo keyed by a run of bytes inside a larger buffer, looked up
 * without copying the bytes or making a string of them: the export's byte
 * path asks it once per field per row (a code, a transformed value, a joined
 * record), and the few distinct values of such a field are found by a hash
 * and a byte compare. Open addressing; when half full it starts over, so a
 * field with a new value on every row costs a miss, never memory.
 *
 * @module
 */

const SLOTS = 8192;

export class ByteMemo<T> {
  #keys: (Uint8Array | undefined)[] = new Array(SLOTS);
  #values: (T | undefined)[] = new Array(SLOTS);
  #size = 0;

  /** The value remembered for `bytes[start, end)`, or undefined. */
  get(bytes: Uint8Array, start: number, end: number): T | undefined {
    for (let at = hash(bytes, start, end) & (SLOTS - 1); ; at = (at + 1) & (SLOTS - 1)) {
      const key = this.#keys[at];
      if (key === undefined) return undefined;
      if (equal(key, bytes, start, end)) return this.#values[at];
    }
  }

  /** Remembers `value` for `bytes[start, end)` (a copy of the bytes is kept). */
  set(bytes: Uint8Array, start: number, end: number, value: T): void {
    if (this.#size >= SLOTS / 2) {
      this.#keys.fill(undefined);
      this.#values.fill(undefined);
      this.#size = 0;
    }
    let at = hash(bytes, start, end) & (SLOTS - 1);
    while (this.#keys[at] !== undefined) {
      if (equal(this.#keys[at]!, bytes, start, end)) break;
      at = (at + 1) & (SLOTS - 1);
    }
    if (this.#keys[at] === undefined) this.#size++;
    // A copy: a Buffer's own slice() is a view, and the bytes are lmdb's reused read buffer.
    this.#keys[at] = Uint8Array.prototype.slice.call(bytes, start, end);
    this.#values[at] = value;
  }
}

/** FNV-1a over the bytes. */
function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function equal(key: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[start + i]) return false;
  return true;
}
