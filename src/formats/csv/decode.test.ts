/**
 * Tests for the strict text decoder: BOMs, UTF-16, every chunk split, and the
 * byte offset and line named by invalid-UTF-8, truncation and binary errors.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { FileError } from "../types.ts";
import { decodeText } from "./decode.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: Array<string | number[]>) => {
  const all = parts.flatMap((p) => (typeof p === "string" ? [...utf8(p)] : p));
  return Uint8Array.from(all);
};

function utf16(s: string, le: boolean): Uint8Array {
  const out = new Uint8Array(2 + 2 * s.length);
  out.set(le ? [0xff, 0xfe] : [0xfe, 0xff]);
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    out[2 + 2 * i + (le ? 0 : 1)] = u & 0xff;
    out[2 + 2 * i + (le ? 1 : 0)] = u >> 8;
  }
  return out;
}

async function* chunks(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function decode(b: Uint8Array, size = b.length || 1): Promise<string> {
  let s = "";
  for await (const t of decodeText(chunks(b, size), "f.csv")) s += t;
  return s;
}

async function failure(b: Uint8Array, size?: number): Promise<FileError> {
  const e = await decode(b, size).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FileError);
  return e as FileError;
}

const TEXT = "id,name\r\n1,Zoë\n2,\"日本\r語\"\n3,😀 Ågot\n";

describe("decodeText", () => {
  it("decodes UTF-8 split at every byte", async () => {
    const b = utf8(TEXT);
    for (let size = 1; size <= b.length; size++) expect(await decode(b, size)).toBe(TEXT);
  });

  it("strips a UTF-8 BOM, even when it arrives one byte at a time", async () => {
    const b = bytes([0xef, 0xbb, 0xbf], TEXT);
    for (const size of [1, 2, 3, 4, 64]) expect(await decode(b, size)).toBe(TEXT);
    expect(await decode(bytes([0xef, 0xbb, 0xbf]))).toBe("");
  });

  it("decodes UTF-16LE and UTF-16BE when a BOM says so", async () => {
    for (const le of [true, false]) {
      const b = utf16(TEXT, le);
      for (let size = 1; size <= b.length; size++) expect(await decode(b, size)).toBe(TEXT);
    }
  });

  it("handles empty and tiny inputs", async () => {
    expect(await decode(new Uint8Array(0))).toBe("");
    expect(await decode(bytes("a"))).toBe("a");
    expect(await decode(bytes("ab"), 1)).toBe("ab");
    expect(await decode(bytes([0xff, 0xfe]))).toBe("");
  });

  it("yields text as chunks arrive, without waiting for the end", async () => {
    const seen: string[] = [];
    for await (const t of decodeText(chunks(utf8("aaaa\nbbbb\n"), 5), "f.csv")) seen.push(t);
    expect(seen).toEqual(["aaaa\n", "bbbb\n"]);
  });

  it("hands big reads on in pieces of at most 64 KiB", async () => {
    const text = "abc,déf\n".repeat(30_000);
    const sizes: number[] = [];
    let all = "";
    for await (const t of decodeText(chunks(utf8(text), 1 << 20), "f.csv")) {
      sizes.push(t.length);
      all += t;
    }
    expect(all).toBe(text);
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
  });

  it("names the byte offset and line of invalid UTF-8 (Windows-1252 é)", async () => {
    // "ok\r\nfine\rJos" is 12 bytes, then 0xE9; lines: CRLF, CR → line 3.
    const b = bytes("ok\r\nfine\rJos", [0xe9], ",x\n");
    for (let size = 1; size <= b.length; size++) {
      const e = await failure(b, size);
      expect(e.line).toBe(3);
      expect(e.message).toBe(
        'f.csv line 3: invalid UTF-8 at byte 12, line 3: the file is in another encoding (perhaps Windows-1252); save it as UTF-8 (in Excel: "CSV UTF-8") and upload it again',
      );
    }
  });

  it("counts the BOM in the offset and finds a bad sequence cut by a chunk boundary", async () => {
    // € is E2 82 AC; E2 82 followed by "A" is ill-formed from its first byte.
    const b = bytes([0xef, 0xbb, 0xbf], "a\nb\n", [0xe2, 0x82], "A\n");
    for (let size = 1; size <= b.length; size++) {
      const e = await failure(b, size);
      expect(e.message).toContain("invalid UTF-8 at byte 7, line 3:");
    }
  });

  it("reports a UTF-8 character cut off by the end of the file", async () => {
    const b = bytes("a\nb", [0xe2, 0x82]);
    for (const size of [1, 2, 5]) {
      const e = await failure(b, size);
      expect(e.line).toBe(2);
      expect(e.message).toContain("incomplete UTF-8 character at byte 3, line 2, at the end of the file: the file may be truncated");
    }
  });

  it("treats a NUL byte as binary data", async () => {
    const b = bytes("a,b\n\nc", [0], "d\n");
    for (const size of [1, 3, 100]) {
      const e = await failure(b, size);
      expect(e.line).toBe(3);
      expect(e.message).toBe("f.csv line 3: binary data at byte 6, line 3: this is not a text file; upload the CSV file itself");
    }
  });

  it("recognises a gzip file and an .xlsx (zip) uploaded by mistake", async () => {
    const gz = bytes([0x1f, 0x8b, 0x08, 0x00, 0x12, 0x34, 0x56, 0x78, 0x00, 0x03]);
    expect((await failure(gz)).message).toBe("f.csv line 1: binary data at byte 1, line 1: this is not a text file (it looks like a gzip file); upload the CSV file itself");
    const xlsx = bytes("PK", [3, 4, 0x14, 0, 6, 0], "[Content_Types].xml");
    expect((await failure(xlsx, 3)).message).toContain("binary data at byte 5, line 1: this is not a text file (it looks like a zip file, such as an .xlsx workbook)");
  });

  it("suggests UTF-8 for UTF-16 without a byte-order mark", async () => {
    const b = utf16("id,name\n", true).subarray(2);
    expect((await failure(b)).message).toContain("binary data at byte 1, line 1: this is not a text file (it looks like UTF-16 text without a byte-order mark); save it as UTF-8");
  });

  it("reports truncated and invalid UTF-16", async () => {
    const odd = bytes([...utf16("a\nb", true)], [0x41]);
    for (let size = 1; size <= odd.length; size++) {
      expect((await failure(odd, size)).message).toContain("incomplete UTF-16 character at byte 8, line 2, at the end of the file");
    }
    // A lone low surrogate (DC00) after "x\r\ny".
    const lone = bytes([...utf16("x\r\ny", false)], [0xdc, 0x00, 0x00, 0x41]);
    for (let size = 1; size <= lone.length; size++) {
      const e = await failure(lone, size);
      expect(e.message).toContain("invalid UTF-16 at byte 10, line 2 (unpaired surrogate)");
    }
    const nul = bytes([...utf16("x\ny", true)], [0, 0]);
    expect((await failure(nul, 3)).message).toContain("binary data at byte 8, line 2: this is not a text file");
  });
});
