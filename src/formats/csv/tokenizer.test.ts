/**
 * Tests for the CSV tokenizer: RFC 4180 cases, line numbering, errors that
 * skip one record, bounded memory on huge fields, and chunk-boundary fuzzing
 * against a naive whole-string reference parser.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { FileError } from "../types.ts";
import { decodeText } from "./decode.ts";
import { readCsv, type CsvOptions, type CsvRecord, type CsvRowError } from "./tokenizer.ts";

type Item = CsvRecord | CsvRowError;

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function batches(text: string, size = text.length || 1, options: Partial<CsvOptions> = {}): Promise<Item[][]> {
  const out: Item[][] = [];
  for await (const b of readCsv(chunks(text, size), { file: "t.csv", ...options })) out.push(b);
  return out;
}

async function parse(text: string, size?: number, options?: Partial<CsvOptions>): Promise<Item[]> {
  return (await batches(text, size, options)).flat();
}

async function fileError(text: string, size?: number): Promise<FileError> {
  const e = await parse(text, size).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FileError);
  return e as FileError;
}

/** Errors compared by their position prefix ("line L, column C" or "field N is longer…"). */
function normalize(items: Item[]): unknown[] {
  return items.map((x) => ("error" in x ? { line: x.line, error: x.error.split(/[:;]/)[0] } : x));
}

/**
 * Naive reference: one character at a time over the whole string, written
 * independently of the machine, with the same error rules.
 */
function reference(text: string, max = Infinity, d = ",", q = '"'): Item[] | { unterminated: number } {
  const out: Item[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const nl = (c: string | undefined) => c === "\n" || c === "\r";
  const eatNewline = () => {
    i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
    line++;
    lineStart = i;
  };
  while (i < n) {
    if (nl(text[i])) {
      eatNewline();
      continue;
    }
    const recLine = line;
    const fields: string[] = [];
    let bad = false;
    const grow = (f: string) => {
      if (!bad && f.length > max) {
        out.push({ line: recLine, error: `field ${fields.length + 1} is longer than ${max} characters` });
        bad = true;
      }
    };
    const fail = (what: string) => {
      if (!bad) out.push({ line: recLine, error: `line ${line}, column ${i - lineStart + 1}${what}` });
      bad = true;
      while (i < n && !nl(text[i])) i++;
      if (i < n) eatNewline();
    };
    for (;;) {
      let f = "";
      if (text[i] === q) {
        const opened = line;
        i++;
        for (;;) {
          if (i >= n) return { unterminated: opened };
          const c = text[i];
          if (c === q && text[i + 1] === q) {
            f += q;
            i += 2;
          } else if (c === q) {
            i++;
            break;
          } else {
            if (c === "\r" || (c === "\n" && text[i - 1] !== "\r")) line++;
            if (nl(c)) lineStart = i + 1;
            f += c;
            i++;
          }
          grow(f);
        }
        if (i < n && text[i] !== d && !nl(text[i])) {
          fail("");
          break;
        }
      } else {
        while (i < n && text[i] !== d && !nl(text[i]) && text[i] !== q) {
          f += text[i++];
          grow(f);
        }
        if (text[i] === q) {
          fail("");
          break;
        }
      }
      fields.push(f);
      if (i < n && text[i] === d) {
        i++;
        continue;
      }
      if (!bad) out.push({ line: recLine, fields });
      if (i < n) eatNewline();
      break;
    }
  }
  return out;
}

async function outcome(text: string, size: number, max?: number): Promise<unknown> {
  try {
    return normalize(await parse(text, size, max ? { maxFieldLength: max } : {}));
  } catch (e) {
    if (e instanceof FileError) return { unterminated: e.line };
    throw e;
  }
}

function expected(text: string, max?: number): unknown {
  const r = reference(text, max);
  return Array.isArray(r) ? normalize(r) : r;
}

describe("readCsv: records", () => {
  it("reads a header and rows with their lines", async () => {
    expect(await parse("id,name\n1,Ann\n2,Bob\n")).toEqual([
      { line: 1, fields: ["id", "name"] },
      { line: 2, fields: ["1", "Ann"] },
      { line: 3, fields: ["2", "Bob"] },
    ]);
  });

  it("accepts a last record with or without a newline", async () => {
    expect(await parse("a,b\nc,d")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["c", "d"] },
    ]);
    expect(await parse("a,b\nc,d\n")).toEqual(await parse("a,b\nc,d"));
    expect(await parse('a,"b"')).toEqual([{ line: 1, fields: ["a", "b"] }]);
    expect(await parse("")).toEqual([]);
  });

  it("ends records at CRLF, LF and lone CR, mixed in one file", async () => {
    expect(await parse("a\r\nb\nc\rd\r\n\re\n")).toEqual([
      { line: 1, fields: ["a"] },
      { line: 2, fields: ["b"] },
      { line: 3, fields: ["c"] },
      { line: 4, fields: ["d"] },
      { line: 6, fields: ["e"] },
    ]);
  });

  it("keeps empty fields, including a trailing one", async () => {
    expect(await parse(',,\na,,b\n"",x,\nz,')).toEqual([
      { line: 1, fields: ["", "", ""] },
      { line: 2, fields: ["a", "", "b"] },
      { line: 3, fields: ["", "x", ""] },
      { line: 4, fields: ["z", ""] },
    ]);
  });

  it("skips blank lines but counts them", async () => {
    expect(await parse("\n\r\na\n\n\r\rb\n\n")).toEqual([
      { line: 3, fields: ["a"] },
      { line: 7, fields: ["b"] },
    ]);
  });

  it("unquotes fields with doubled quotes, delimiters and line ends inside", async () => {
    const text = 'id,note\n1,"say ""hi"", then go"\n2,"two\nlines"\n3,"crlf\r\ninside","cr\rtoo"\n4,""""\n5,after\n';
    expect(await parse(text)).toEqual([
      { line: 1, fields: ["id", "note"] },
      { line: 2, fields: ["1", 'say "hi", then go'] },
      { line: 3, fields: ["2", "two\nlines"] },
      { line: 5, fields: ["3", "crlf\r\ninside", "cr\rtoo"] },
      { line: 8, fields: ["4", '"'] },
      { line: 9, fields: ["5", "after"] },
    ]);
  });

  it("keeps whitespace and non-ASCII text as is", async () => {
    expect(await parse(" a , b \nÉlodie,😀,日本\n")).toEqual([
      { line: 1, fields: [" a ", " b "] },
      { line: 2, fields: ["Élodie", "😀", "日本"] },
    ]);
  });

  it("does not check field counts", async () => {
    expect((await parse("a,b,c\n1\n1,2,3,4\n")).map((r) => ("fields" in r ? r.fields.length : -1))).toEqual([3, 1, 4]);
  });

  it("supports tab, pipe and semicolon delimiters, another quote, and no quoting", async () => {
    for (const delimiter of ["\t", "|", ";"]) {
      const text = `a${delimiter}"b${delimiter}c"${delimiter}\n`;
      expect(await parse(text, 3, { delimiter })).toEqual([{ line: 1, fields: ["a", `b${delimiter}c`, ""] }]);
    }
    expect(await parse("'it''s',\"x\"\n", 2, { quote: "'" })).toEqual([{ line: 1, fields: ["it's", '"x"'] }]);
    expect(await parse('a,"b\n5\'10",c\n', 2, { quote: "" })).toEqual([
      { line: 1, fields: ["a", '"b'] },
      { line: 2, fields: ["5'10\"", "c"] },
    ]);
  });

  it("rejects invalid options before reading", () => {
    const src = chunks("", 1);
    expect(() => readCsv(src, { file: "t", delimiter: ",," })).toThrow(TypeError);
    expect(() => readCsv(src, { file: "t", delimiter: "\n" })).toThrow(TypeError);
    expect(() => readCsv(src, { file: "t", quote: "," })).toThrow(TypeError);
    expect(() => readCsv(src, { file: "t", maxFieldLength: 0 })).toThrow(TypeError);
  });

  it("yields one batch per chunk, never empty ones", async () => {
    const text = Array.from({ length: 1000 }, (_, i) => `${i},x`).join("\n");
    const got = await batches(text, 1000);
    expect(got.length).toBeLessThanOrEqual(Math.ceil(text.length / 1000) + 1);
    expect(got.every((b) => b.length > 0)).toBe(true);
    expect(got.flat().length).toBe(1000);
    expect(got.flat()[999]).toEqual({ line: 1000, fields: ["999", "x"] });
  });
});

describe("readCsv: malformed records", () => {
  it("reports a quote inside an unquoted field and resumes at the next line", async () => {
    expect(await parse('h1,h2,h3\na,b"c,d\ne,f,g\n')).toEqual([
      { line: 1, fields: ["h1", "h2", "h3"] },
      { line: 2, error: expect.stringMatching(/^line 2, column 4: quote inside an unquoted field \(b"c\); put the whole field in quotes/) },
      { line: 3, fields: ["e", "f", "g"] },
    ]);
  });

  it("reports text after a closing quote", async () => {
    expect(await parse('x\n"ab"c,d\r\ny\n')).toEqual([
      { line: 1, fields: ["x"] },
      { line: 2, error: expect.stringMatching(/^line 2, column 5: text after the closing quote of a field \("ab"c\)/) },
      { line: 3, fields: ["y"] },
    ]);
  });

  it("names the line of the error inside a multi-line record and the record's first line", async () => {
    const [bad, next] = await parse('"one\ntwo" x,y\nz\n');
    expect(bad).toEqual({ line: 1, error: expect.stringMatching(/^line 2, column 5: /) });
    expect(next).toEqual({ line: 3, fields: ["z"] });
  });

  it("skips records whose field is longer than maxFieldLength", async () => {
    const text = 'id,v\n1,123456\n2,"12\n3456"\n3,"ok"\n4,12345\n';
    expect(await parse(text, undefined, { maxFieldLength: 5 })).toEqual([
      { line: 1, fields: ["id", "v"] },
      { line: 2, error: "field 2 is longer than 5 characters; the record is skipped" },
      { line: 3, error: "field 2 is longer than 5 characters; the record is skipped" },
      { line: 5, fields: ["3", "ok"] },
      { line: 6, fields: ["4", "12345"] },
    ]);
  });

  it("throws FileError naming the line where an unterminated quote opened", async () => {
    for (const size of [1, 2, 7, 100]) {
      const e = await fileError('a,b\nc,d\ne,"f\ng\n', size);
      expect(e.line).toBe(3);
      expect(e.message).toBe("t.csv line 3: unterminated quoted field opened at line 3; the file may be truncated");
    }
    expect((await fileError('"')).line).toBe(1);
  });

  it("bounds memory on a 40 MB field and goes on after it", async () => {
    const size = 40 * 1024 * 1024;
    const piece = "x".repeat(1 << 16);
    const bytes = new TextEncoder().encode(piece);
    // Quoted: the whole pipeline from bytes (decoder included); unquoted: text straight in.
    for (const quoted of [true, false]) {
      let peak = 0;
      const before = process.memoryUsage().heapUsed;
      async function* text(): AsyncGenerator<string> {
        yield "id,blob\n1,";
        for (let sent = 0; sent < size; sent += piece.length) {
          peak = Math.max(peak, process.memoryUsage().heapUsed - before);
          yield piece;
        }
        yield "\r\n2,ok\n";
      }
      async function* raw(): AsyncGenerator<Uint8Array> {
        yield new TextEncoder().encode('id,blob\n1,"');
        for (let sent = 0; sent < size; sent += bytes.length) {
          peak = Math.max(peak, process.memoryUsage().heapUsed - before);
          yield bytes;
        }
        yield new TextEncoder().encode('"\r\n2,ok\n');
      }
      const source = quoted ? decodeText(raw(), "big.csv") : text();
      const items: Item[] = [];
      for await (const b of readCsv(source, { file: "big.csv" })) items.push(...b);
      expect(items).toEqual([
        { line: 1, fields: ["id", "blob"] },
        { line: 2, error: "field 2 is longer than 1048576 characters; the record is skipped" },
        { line: 3, fields: ["2", "ok"] },
      ]);
      expect(peak).toBeLessThan(8 * 1024 * 1024);
    }
  });

  it("keeps a field of exactly maxFieldLength characters across chunks", async () => {
    const field = "y".repeat(1 << 20);
    const items = await parse(`"${field}",${field}\nz\n`, 4096);
    expect(items.length).toBe(2);
    expect((items[0] as CsvRecord).fields.map((f) => f.length)).toEqual([1 << 20, 1 << 20]);
    expect(items[1]).toEqual({ line: 2, fields: ["z"] });
  });
});

describe("readCsv: chunk boundaries", () => {
  const samples = [
    'id,name\r\n1,"a ""b"" c"\r\n2,"x\r\ny"\r\n\r\n3,z',
    'a,b"c,d\n"ab"c\r\n"q\r\r\n",,\r"\r"\n\nend',
    "a\r\r\nb\r\n\r\n\rc,\"\"\"\",d\r",
    '"unterminated\r\nat the end',
    "Élodie,😀\r\n\"日本\r\n語\",x",
  ];

  it("gives the same result for every chunk size", async () => {
    for (const text of samples) {
      const want = expected(text);
      for (let size = 1; size <= text.length; size++) {
        expect(await outcome(text, size), `${JSON.stringify(text)} in chunks of ${size}`).toEqual(want);
      }
    }
  });

  it("matches a naive reference on random inputs cut everywhere", async () => {
    const alphabet = ["a", "b", ",", ",", '"', '"', "\n", "\r", "\r\n", "é"];
    let seed = 7;
    const rnd = (k: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k;
    for (let round = 0; round < 400; round++) {
      let text = "";
      const len = 1 + rnd(30);
      for (let i = 0; i < len; i++) text += alphabet[rnd(alphabet.length)];
      const max = round % 3 === 0 ? 1 + rnd(4) : undefined;
      const want = expected(text, max);
      for (let size = 1; size <= text.length; size++) {
        expect(await outcome(text, size, max), `${JSON.stringify(text)} max ${max} in chunks of ${size}`).toEqual(want);
      }
    }
  });
});
