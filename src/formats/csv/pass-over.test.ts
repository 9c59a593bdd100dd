/**
 * Tests for the tokenizer's pass-over hook: the header handed over first,
 * later records offered before their fields are made, claimed records coming
 * out in place as `passed`, and `cut` giving exactly the fields the record
 * would have had — checked against the tokenizer without the hook on random
 * input cut into chunks everywhere.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { readCsv, type CsvRecord, type CsvRowError, type PassOverCut } from "./tokenizer.ts";

/** What the tests' hooks put in place of a record they claim. */
interface Passed {
  line: number;
  digest: number;
  passed: string;
}

type Item = CsvRecord | CsvRowError | Passed;
type Hook = (line: number, digest: number, cut: (column: number) => string) => string | undefined;

/** A test hook that names its key (or undefined) becomes a pass-over hook placing {@link Passed}. */
function placing(hook: Hook): PassOverCut<Passed> {
  return (line, digest, cut) => {
    const passed = hook(line, digest, cut);
    return passed === undefined ? undefined : { line, digest, passed };
  };
}

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** Tokenizes `text` with a hook made by `hook` (given the header), or with none. */
async function read(text: string, size: number, hook?: (header: string[]) => Hook | undefined): Promise<Item[]> {
  const out: Item[] = [];
  const options = { file: "t.csv", digests: true };
  const passOver = hook && ((header: string[]) => {
    const h = hook(header);
    return h && placing(h);
  });
  const batches = passOver ? readCsv(chunks(text, size), { ...options, passOver }) : readCsv(chunks(text, size), options);
  for await (const b of batches) out.push(...b);
  return out;
}

/** {@link read}'s items, or the message of the error that ended the file. */
async function outcome(text: string, size: number, hook?: (header: string[]) => Hook | undefined): Promise<Item[] | string> {
  return read(text, size, hook).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
}

/** Cuts fields 0…n of an offered record. */
function cutAll(cut: (i: number) => string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => cut(i));
}

describe("readCsv passOver", () => {
  it("hands over the header, then offers later records, plain and quoted, and places those it claims", async () => {
    const text = 'id,a,b\r\nu1,x,\n\nu2,"q",z\r\nu3,y,w\nu4,"r","s"\n';
    const headers: string[][] = [];
    const offered: { line: number; fields: string[] }[] = [];
    const items = await read(text, text.length, (header) => {
      headers.push(header);
      return (line, _digest, cut) => {
        offered.push({ line, fields: cutAll(cut, 4) });
        return cut(0) === "u3" ? undefined : `key-${cut(0)}`;
      };
    });
    expect(headers).toEqual([["id", "a", "b"]]);
    expect(offered).toEqual([
      { line: 2, fields: ["u1", "x", "", ""] },
      { line: 4, fields: ["u2", "q", "z", ""] },
      { line: 5, fields: ["u3", "y", "w", ""] },
      { line: 6, fields: ["u4", "r", "s", ""] },
    ]);
    const plain = await read(text, text.length);
    const digestOf = (line: number) => (plain.find((x) => x.line === line) as CsvRecord).digest;
    expect(items).toEqual([
      { line: 1, fields: ["id", "a", "b"], digest: digestOf(1) },
      { line: 2, digest: digestOf(2), passed: "key-u1" },
      { line: 4, digest: digestOf(4), passed: "key-u2" },
      { line: 5, fields: ["u3", "y", "w"], digest: digestOf(5) },
      { line: 6, digest: digestOf(6), passed: "key-u4" },
    ]);
  });

  it("takes no record after an unreadable header for the header", async () => {
    const headers: string[][] = [];
    const items = await read('i"d,a\nu1,x\n', 64, (header) => void headers.push(header));
    expect(headers).toEqual([]);
    expect(items[0]).toMatchObject({ line: 1, error: expect.stringContaining("quote inside an unquoted field") });
  });

  it("cuts the fields the record has, and claims in place, on random input cut everywhere", async () => {
    const alphabet = ["a", "bb", ",", ",", ",", '"', "\n", "\r\n", "\r", "é"];
    let seed = 11;
    const rnd = (k: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k;
    for (let round = 0; round < 300; round++) {
      let text = "h1,h2\n";
      const len = 1 + rnd(40);
      for (let i = 0; i < len; i++) text += alphabet[rnd(alphabet.length)];
      for (let size = 1; size <= text.length; size += 1 + rnd(3)) {
        const want = await outcome(text, size);
        const cuts = new Map<number, string[]>();
        const got = await outcome(text, size, () => (line, _digest, cut) => {
          // Read some fields first (out of order), then all: cached positions must not leak between records.
          cut(rnd(3));
          const fields = cutAll(cut, 8);
          if (rnd(2) === 0) return undefined;
          cuts.set(line, fields);
          return `k${line}`;
        });
        const where = `${JSON.stringify(text)} in chunks of ${size}`;
        if (typeof want === "string" || typeof got === "string") {
          expect(got, where).toEqual(want);
          continue;
        }
        expect(got.length, where).toBe(want.length);
        got.forEach((item, i) => {
          const whole = want[i]!;
          if (!("passed" in item)) return expect(item, where).toEqual(whole);
          const record = whole as CsvRecord;
          expect({ line: item.line, digest: item.digest, passed: item.passed }, where).toEqual({ line: record.line, digest: record.digest, passed: `k${record.line}` });
          const padded = [...record.fields, ...Array<string>(8).fill("")].slice(0, 8);
          expect(cuts.get(item.line), where).toEqual(padded);
        });
      }
    }
  });
});
