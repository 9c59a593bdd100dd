import { describe, expect, it } from "vitest";
import { decodePieces } from "./csv/decode.ts";
import { readCsv } from "./csv/tokenizer.ts";
import { bytesDigest, digestSeed, seededDigest, textDigest, valuesDigest } from "./digest.ts";

async function digests(text: string, chunk: number): Promise<number[]> {
  async function* pieces() {
    for (let i = 0; i < text.length; i += chunk) yield text.slice(i, i + chunk);
  }
  const out: number[] = [];
  for await (const batch of readCsv(pieces(), { file: "t.csv", digests: true })) for (const r of batch) if ("digest" in r) out.push(r.digest!);
  return out;
}

async function pieceDigests(text: string): Promise<number[]> {
  async function* bytes() {
    yield new TextEncoder().encode(text);
  }
  const out: number[] = [];
  for await (const batch of readCsv(decodePieces(bytes(), "t.csv"), { file: "t.csv", digests: true })) for (const r of batch) if ("digest" in r) out.push(r.digest!);
  return out;
}

describe("row digests", () => {
  const seed = digestSeed(["sourcedId", "status", "givenName"]);

  it("are the same for the same row and header, in [0, 2^53)", () => {
    const d = seededDigest(seed, textDigest("u1,,Ada", 0, 7));
    expect(d).toBe(seededDigest(digestSeed(["sourcedId", "status", "givenName"]), textDigest("xu1,,Ada", 1, 8)));
    expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
  });

  it("differ when a character, the split between values, or the header differs", () => {
    const d = seededDigest(seed, valuesDigest(["u1", "", "Ada"]));
    expect(seededDigest(seed, valuesDigest(["u1", "", "Adb"]))).not.toBe(d);
    expect(seededDigest(seed, valuesDigest(["u1", "A", "da"]))).not.toBe(d);
    expect(seededDigest(seed, valuesDigest(["u1", "Ada", ""]))).not.toBe(d);
    expect(seededDigest(digestSeed(["sourcedId", "givenName", "status"]), valuesDigest(["u1", "", "Ada"]))).not.toBe(d);
    expect(textDigest("u1,,Ada", 0, 7)).not.toBe(textDigest("u1,,Adb", 0, 7));
    expect(textDigest('u1,"a,b",c', 0, 10)).not.toBe(textDigest('u1,"a",b,c', 0, 10));
  });

  it("tell apart rows that differ by accents dropped at positions four apart (both lanes, not only the 21 bits of one)", () => {
    // "Maáa,Sánchez" → "Maaa,Sanchez": á and a differ only in bit 7, here of the top byte of two 32-bit words.
    let top32Equal = 0;
    for (let i = 0; i < 20_000; i++) {
      const row = `${String(i).padStart(5, "0")},active,Ma\u00e1a,S\u00e1nchez`;
      expect(row.indexOf("\u00e1") % 4).toBe(3);
      expect(row.lastIndexOf("\u00e1") % 4).toBe(3);
      const plain = row.replaceAll("\u00e1", "a");
      const [d1, d2] = [textDigest(row, 0, row.length), textDigest(plain, 0, plain.length)];
      if (Math.floor(d1 / 0x200000) === Math.floor(d2 / 0x200000)) top32Equal++;
    }
    expect(top32Equal).toBe(0);
  });

  it("spread 200,000 similar rows without a collision", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) seen.add(seededDigest(seed, textDigest(`u${i},active,Name${i % 100}`, 0, `u${i},active,Name${i % 100}`.length)));
    expect(seen.size).toBe(200_000);
  });

  it("of ASCII text are the same read from its bytes as from its characters; wider text is read a character at a time", async () => {
    const ascii = "id,name\n1,Ann Lee\n22,Bo\n";
    expect(await pieceDigests(ascii)).toEqual(await digests(ascii, 1 << 16));
    const bytes = new TextEncoder().encode("1,Ann Lee");
    expect(bytesDigest(new DataView(bytes.buffer), 0, bytes.length)).toBe(textDigest("1,Ann Lee", 0, 9));
    // Characters that would overlap in a four-character word still tell rows apart.
    expect(textDigest("\u0100\u0000ab", 0, 4)).not.toBe(textDigest("\u0000\u0001ab", 0, 4));
    expect(textDigest("名前,é", 0, 4)).not.toBe(textDigest("名前,e", 0, 4));
    const wide = "id,name\n1,Zoë\n2,名前\n";
    expect(await pieceDigests(wide)).toEqual(await digests(wide, 1 << 16));
  });

  it("come from the tokenizer for every record: the same rows in the same chunks, the same digests", async () => {
    const text = 'id,name\n1,Ann\n2,"Bob ""B"""\n3,"Cy, Jr"\n';
    const whole = await digests(text, 1 << 16);
    expect(whole).toHaveLength(4);
    expect(new Set(whole).size).toBe(4);
    expect(await digests(text, 1 << 16)).toEqual(whole);
    // A record read across chunks is digested from its values: another digest, never a wrong match.
    const split = await digests(text, 11);
    expect(split[0]).toBe(whole[0]);
    expect(split).toHaveLength(4);
  });
});
