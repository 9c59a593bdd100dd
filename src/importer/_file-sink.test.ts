import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { abandonWrites, FileSink, SLOT_BYTES, settleWrites } from "./_file-sink.ts";

/** Bytes that differ at every position, so a piece out of order or lost shows. */
function pattern(seed: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe("FileSink", () => {
  it("writes each file's bytes in order, across many more buffers than the pool holds, filled in place or copied", () => {
    const dir = tempDir("rosterbox-sink-");
    const sinks = [0, 1, 2].map((i) => new FileSink(join(dir, `f${i}`)));
    const expected: Buffer[][] = [[], [], []];
    let seed = 7;
    // 3 × 40 pieces of up to 1.5 MiB: about 90 MiB through a pool of 16 MiB.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 3; i++) {
        const sink = sinks[i]!;
        const size = (seed * 2654435761) % (SLOT_BYTES * 1.5);
        const piece = pattern(seed++, Math.floor(size));
        if (piece.length <= SLOT_BYTES && round % 2 === 0) {
          sink.room(piece.length);
          piece.copy(sink.buf, sink.at);
          sink.at += piece.length;
        } else sink.write(piece);
        expected[i]!.push(piece);
      }
    }
    for (const s of sinks) s.end();
    settleWrites();
    for (let i = 0; i < 3; i++) {
      const want = Buffer.concat(expected[i]!);
      const got = readFileSync(join(dir, `f${i}`));
      expect(got.length).toBe(want.length);
      expect(got.equals(want)).toBe(true);
    }
  });

  it("counts what it was given, and gives its buffer back when ended empty", () => {
    const dir = tempDir("rosterbox-sink-");
    const s = new FileSink(join(dir, "counted"));
    s.write(Buffer.from("abc"));
    s.room(2);
    s.buf.write("de", s.at);
    s.at += 2;
    expect(s.length).toBe(5);
    s.end();
    // More empty files than the pool has buffers: one kept would leave the next waiting for ever.
    for (let i = 0; i < 40; i++) new FileSink(join(dir, `empty${i}`)).end();
    settleWrites();
    expect(readFileSync(join(dir, "counted"), "utf8")).toBe("abcde");
    expect(statSync(join(dir, "empty39")).size).toBe(0);
  });

  it("refuses at once a file it cannot create, naming it", () => {
    const dir = tempDir("rosterbox-sink-");
    const path = join(dir, "no-such-dir", "results.csv");
    expect(() => new FileSink(path)).toThrow(/no-such-dir\/results\.csv/);
  });

  it("refuses a piece bigger than a buffer for filling in place", () => {
    const s = new FileSink(join(tempDir("rosterbox-sink-"), "big"));
    expect(() => s.room(SLOT_BYTES + 1)).toThrow(/write\(\) them/);
    s.end();
    settleWrites();
  });

  it("reports a failed write once, naming the file, and then writes on", () => {
    if (!existsSync("/dev/full")) throw new Error("this test needs /dev/full (a disk that is always full)");
    const told: string[] = [];
    const full = new FileSink("/dev/full");
    // The failure is told by the first call after the writer thread met it: a later write, or the settle.
    try {
      full.write(pattern(1, 3 * SLOT_BYTES));
    } catch (err) {
      told.push((err as Error).message);
    }
    full.end();
    try {
      settleWrites();
    } catch (err) {
      told.push((err as Error).message);
    }
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/could not write \/dev\/full: .*(ENOSPC|No space left)/);
    // The failure was told; a later file is written as usual.
    const dir = tempDir("rosterbox-sink-");
    const ok = new FileSink(join(dir, "after"));
    ok.write(Buffer.from("fine"));
    ok.end();
    settleWrites();
    expect(readFileSync(join(dir, "after"), "utf8")).toBe("fine");
  });

  it("refuses, rather than waits for ever, a file more than the pool can fill at once", () => {
    const dir = tempDir("rosterbox-sink-");
    const open = Array.from({ length: 16 }, (_, i) => new FileSink(join(dir, `open${i}`)));
    expect(() => new FileSink(join(dir, "one-too-many"))).toThrow(/16 files are open for writing at once/);
    for (const s of open) s.end();
    settleWrites();
    const after = new FileSink(join(dir, "after"));
    after.end();
    settleWrites();
  });

  it("lets a job that stops for another reason wait without its write failure", () => {
    const full = new FileSink("/dev/full");
    full.write(pattern(2, 1000));
    full.end();
    abandonWrites();
    expect(() => settleWrites()).not.toThrow();
  });
});
