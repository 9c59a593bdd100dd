/**
 * Offering a record to the tokenizer's pass-over hook before its fields are
 * made (private to this folder; `CsvOptions.passOver`).
 *
 * The hook reads only the few fields it needs (a sourcedId, a reference or
 * two) through `cut`; for an unquoted record they are found by walking its
 * delimiters no further than asked, so a record passed over costs those
 * fields, not all of them. A quoted record has its fields made already (by
 * the machine's quoted-line path) and is cut from them.
 *
 * @module
 */
import type { PassOverCut } from "./tokenizer.ts";

/**
 * Offers records of one file to one hook.
 *
 * @example
 * const offer = new RecordOffer(",", hook);
 * const placed = offer.plain("u1,x,y\n", 0, 6, 2, digest); // what the hook put in the record's place, or undefined
 */
export class RecordOffer {
  /** The unquoted record on offer: `text[start, end)`. */
  #text = "";
  #start = 0;
  #end = 0;
  /** Where its fields start and end, for the first `#known` of them. */
  #starts = new Int32Array(64);
  #ends = new Int32Array(64);
  #known = 0;
  /** The fields of the quoted record on offer. */
  #fields: string[] = [];

  constructor(
    private readonly delim: string,
    private readonly hook: PassOverCut<object>,
  ) {}

  /** Offers the unquoted record `t[p, eol)`: what stands for it if the hook passes it over. */
  plain(t: string, p: number, eol: number, line: number, digest: number): object | undefined {
    this.#text = t;
    this.#start = p;
    this.#end = eol;
    this.#known = 0;
    const placed = this.hook(line, digest, this.#cutPlain);
    this.#text = "";
    return placed;
  }

  /** Offers a quoted record, its fields already made. */
  fields(fields: string[], line: number, digest: number): object | undefined {
    this.#fields = fields;
    const placed = this.hook(line, digest, this.#cutFields);
    this.#fields = [];
    return placed;
  }

  /** Field `i` of the unquoted record on offer ("" past its last). */
  #cutPlain = (i: number): string => {
    let k = this.#known;
    if (i >= k) {
      const t = this.#text, eol = this.#end;
      if (k > 0 && this.#ends[k - 1]! >= eol) return "";
      let s = k === 0 ? this.#start : this.#ends[k - 1]! + 1;
      while (k <= i) {
        if (k === this.#starts.length) this.#grow();
        let e = t.indexOf(this.delim, s);
        if (e < 0 || e > eol) e = eol;
        this.#starts[k] = s;
        this.#ends[k] = e;
        k++;
        if (e === eol) break;
        s = e + 1;
      }
      this.#known = k;
      if (i >= k) return "";
    }
    return this.#text.slice(this.#starts[i], this.#ends[i]);
  };

  #cutFields = (i: number): string => this.#fields[i] ?? "";

  #grow(): void {
    const starts = new Int32Array(this.#starts.length * 2);
    starts.set(this.#starts);
    this.#starts = starts;
    const ends = new Int32Array(this.#ends.length * 2);
    ends.set(this.#ends);
    this.#ends = ends;
  }
}
