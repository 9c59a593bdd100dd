/**
 * The fast path's cutting (private to this folder): finding the next
 * occurrence of a character, and cutting a whole line with simple quoted
 * fields in one pass, without the state machine (`_machine.ts`).
 *
 * @module
 */

/**
 * Index of `c` in `t` from `from`, or `n` (= t.length) so that "not found" compares as "after everything".
 *
 * @example find("u1,Ada", ",", 0, 6) // 2; find("u1", ",", 0, 2) // 2
 */
export function find(t: string, c: string, from: number, n: number): number {
  const i = t.indexOf(c, from);
  return i < 0 ? n : i;
}

/**
 * Cuts line t[p, eol) when it has quoted fields but nothing unusual: each
 * quoted field closes on this line with no doubled quote and is followed by a
 * delimiter or the line end, no quote sits in an unquoted field, no field is
 * longer than `max`. Otherwise returns null and the state machine takes it.
 * (Exports that quote every field take this path for every row.)
 *
 * @example quotedLine('u1,"Hopper, Jr",x', 0, 17, 44, 34, '"', 1 << 20) // ["u1", "Hopper, Jr", "x"]
 */
export function quotedLine(t: string, p: number, eol: number, D: number, Q: number, quote: string, max: number): string[] | null {
  const fields: string[] = [];
  let s = p;
  for (;;) {
    if (t.charCodeAt(s) === Q) {
      const q = t.indexOf(quote, s + 1);
      if (q < 0 || q >= eol || q - s - 1 > max) return null;
      fields.push(t.slice(s + 1, q));
      if (q + 1 === eol) return fields;
      if (t.charCodeAt(q + 1) !== D) return null;
      s = q + 2;
    } else {
      let e = s;
      while (e < eol) {
        const c = t.charCodeAt(e);
        if (c === D) break;
        if (c === Q) return null;
        e++;
      }
      if (e - s > max) return null;
      fields.push(t.slice(s, e));
      if (e === eol) return fields;
      s = e + 1;
    }
  }
}
