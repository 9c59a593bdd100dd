/**
 * The results CSV as the import thread hands it over: compact records that
 * the file writer thread (`_file-sink.ts`) expands into CSV text on the
 * second core.
 *
 * A nightly re-import writes a results row for every row read, most of them
 * "unchanged": 1.6 M for a 200k-student district. Made into CSV on the
 * import thread a row cost about 470 ns (the constant parts alone, copied
 * byte by byte, about 150 ns); as a compact record it costs what a
 * fingerprint does, about 150 ns, and the CSV is made where the second core
 * was idle.
 *
 * Records, little-endian, each whole within one buffer the writer is given:
 * - context `2, u16 headBytes, u16 midBytes, head, mid`: `file,` and
 *   `,entity,` as CSV text, for the rows after it;
 * - row `1, action, status, u32 line, u16 idBytes, u32 messageBytes, id, message`
 *   (id and message as UTF-8, quoted by the expander when they need it);
 * - raw `3, u32 bytes`, then that many bytes of finished CSV, which may run
 *   on into the next buffers: a row too long for one buffer.
 *
 * @module
 */

/** Actions and statuses by their code in a row record (the order is the format). */
export const ACTIONS = ["create", "update", "delete", "unchanged", "skip"] as const;
export const STATUSES = ["SUCCESS", "WARNING", "ERROR"] as const;

export const ROW = 1;
export const CONTEXT = 2;
export const RAW = 3;
/** Bytes of a row record before its id. */
export const ROW_HEAD = 13;
/** Bytes of a context record before its text. */
export const CONTEXT_HEAD = 5;
/** Bytes of a raw record before its text. */
export const RAW_HEAD = 5;

/** What the expander remembers of one file between the buffers it is given; it starts as `{}`. */
export interface ExpandState {
  head?: Uint8Array;
  mid?: Uint8Array;
  /** Bytes of a raw record still to come in later buffers. */
  raw?: number;
  /** `,action,status,` as bytes, by `action * 8 + status`. */
  tails?: (Uint8Array | undefined)[];
  /** Where the CSV text is made, reused. */
  out?: Uint8Array;
}

/**
 * Expands `bytes` (one buffer of records) into CSV text, handing it to
 * `emit` a piece at a time (`emit(piece, length)`; the piece is reused
 * after) before it returns. Runs in the writer thread from its source text
 * (`expandResults.toString()`), so it refers to nothing outside itself.
 *
 * @example
 * const state = {};
 * expandResults(state, records, (piece, n) => chunks.push(Buffer.from(piece.subarray(0, n))));
 */
export function expandResults(state: ExpandState, bytes: Uint8Array, emit: (piece: Uint8Array, length: number) => void): void {
  if (state.out === undefined) {
    state.head = new Uint8Array(0);
    state.mid = new Uint8Array(0);
    state.raw = 0;
    state.tails = [];
    state.out = new Uint8Array(1 << 20);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tails = state.tails!;
  let out = state.out;
  let at = 0;
  let p = 0;
  if (state.raw! > 0) {
    const n = Math.min(state.raw!, bytes.length);
    emit(bytes.subarray(0, n), n);
    state.raw = state.raw! - n;
    p = n;
  }
  while (p < bytes.length) {
    const tag = bytes[p]!;
    if (tag === 2) {
      const h = view.getUint16(p + 1, true);
      const m = view.getUint16(p + 3, true);
      // Copied: the buffer is given back to be filled again (a Buffer's slice would share it).
      state.head = new Uint8Array(bytes.subarray(p + 5, p + 5 + h));
      state.mid = new Uint8Array(bytes.subarray(p + 5 + h, p + 5 + h + m));
      p += 5 + h + m;
      continue;
    }
    if (tag === 3) {
      const total = view.getUint32(p + 1, true);
      const n = Math.min(total, bytes.length - p - 5);
      if (at > 0) emit(out, at);
      at = 0;
      emit(bytes.subarray(p + 5, p + 5 + n), n);
      state.raw = total - n;
      p += 5 + n;
      continue;
    }
    if (tag !== 1) throw new Error(`results writer: a record of unknown kind ${tag} at byte ${p} of a buffer`);
    const action = bytes[p + 1]!;
    const status = bytes[p + 2]!;
    const line = view.getUint32(p + 3, true);
    const idBytes = view.getUint16(p + 7, true);
    const messageBytes = view.getUint32(p + 9, true);
    const idStart = p + 13;
    const messageStart = idStart + idBytes;
    p = messageStart + messageBytes;
    let tail = tails[action * 8 + status];
    if (tail === undefined) {
      const actions = ["create", "update", "delete", "unchanged", "skip"];
      const statuses = ["SUCCESS", "WARNING", "ERROR"];
      tail = new TextEncoder().encode("," + actions[action] + "," + statuses[status] + ",");
      tails[action * 8 + status] = tail;
    }
    const head = state.head!;
    const mid = state.mid!;
    // Quoting at most doubles a field and adds two quotes; a line number has at most 10 digits.
    const room = head.length + 10 + mid.length + 2 * idBytes + 2 + tail.length + 2 * messageBytes + 2 + 1;
    if (at + room > out.length) {
      if (at > 0) emit(out, at);
      at = 0;
      if (room > out.length) state.out = out = new Uint8Array(room);
    }
    for (let i = 0; i < head.length; i++) out[at++] = head[i]!;
    let digits = 1;
    for (let v = line; v >= 10; v = Math.floor(v / 10)) digits++;
    for (let i = at + digits - 1, v = line; i >= at; i--, v = Math.floor(v / 10)) out[i] = 48 + (v % 10);
    at += digits;
    for (let i = 0; i < mid.length; i++) out[at++] = mid[i]!;
    // The id, then the message: each quoted (RFC 4180) only if it holds a quote, a comma or a line end.
    for (let f = 0; f < 2; f++) {
      const start = f === 0 ? idStart : messageStart;
      const stop = f === 0 ? messageStart : p;
      let quote = false;
      for (let i = start; i < stop; i++) {
        const b = bytes[i]!;
        if (b === 34 || b === 44 || b === 13 || b === 10) {
          quote = true;
          break;
        }
      }
      if (!quote) for (let i = start; i < stop; i++) out[at++] = bytes[i]!;
      else {
        out[at++] = 34;
        for (let i = start; i < stop; i++) {
          const b = bytes[i]!;
          out[at++] = b;
          if (b === 34) out[at++] = 34;
        }
        out[at++] = 34;
      }
      if (f === 0) for (let i = 0; i < tail.length; i++) out[at++] = tail[i]!;
    }
    out[at++] = 10;
  }
  if (at > 0) emit(out, at);
}
