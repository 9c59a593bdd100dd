import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { statSync, truncateSync } from "node:fs";
import { PrintMatcher, PrintsDisagree, printsPath, PrintWriter, writeVoidLines } from "./_prints.ts";
import { settleWrites } from "./_file-sink.ts";

function written(entries: [number, number, string][], voids: number[] = []): string {
  const dir = tempDir("rosterbox-prints-");
  const w = new PrintWriter(printsPath(dir, "users"));
  for (const [line, digest, id] of entries) w.add(line, digest, id);
  w.finish();
  settleWrites();
  if (voids.length) writeVoidLines(dir, "users", voids);
  return dir;
}

describe("PrintMatcher", () => {
  it("matches rows in order, probes what no row matched, and never a void line", () => {
    const dir = written([[2, 11, "a"], [3, 12, "b"], [4, 13, "c"], [5, 14, "d"], [6, 15, "dup"]], [6]);
    const probes: string[] = [];
    const voids: string[] = [];
    const m = new PrintMatcher(dir, "users", (id) => probes.push(id), (id) => voids.push(id));
    expect(m.match("a", 11)).toBe(true);
    expect(m.match("b", 99)).toBe(false); // changed: its entry is probed once a later row passes it
    expect(m.match("new", 5)).toBe(false);
    expect(m.match("d", 14)).toBe(true); // c was removed from the file
    expect(probes).toEqual(["b", "c"]);
    expect(m.match("dup", 15)).toBe(false);
    m.finish();
    expect(probes).toEqual(["b", "c"]);
    expect(voids).toEqual(["dup"]);
  });

  it("a row moved further than its window is probed, not matched; the rest still match", () => {
    const n = 2000;
    const entries: [number, number, string][] = Array.from({ length: n }, (_, i) => [i + 2, 1000 + i, `u${i}`]);
    const dir = written(entries);
    const probes: string[] = [];
    const m = new PrintMatcher(dir, "users", (id) => probes.push(id));
    // u0 now comes last.
    let matched = 0;
    for (let i = 1; i < n; i++) if (m.match(`u${i}`, 1000 + i)) matched++;
    expect(m.match("u0", 1000)).toBe(false);
    m.finish();
    expect(matched).toBe(n - 1);
    expect(probes).toEqual(["u0"]);
  });

  it("compares sourcedIds exactly, ASCII or not, short or past a window slot's length", () => {
    const long = "L".repeat(800);
    const dir = written([[2, 1, "Zoë"], [3, 2, long], [4, 3, "ab"], [5, 4, "名前"], [6, 5, `${long}x`]]);
    const probes: string[] = [];
    const m = new PrintMatcher(dir, "users", (id) => probes.push(id));
    expect(m.match("Zoe", 1)).toBe(false);
    expect(m.match("Zoëx", 1)).toBe(false);
    expect(m.match("Zoë", 1)).toBe(true);
    expect(m.match(`${long}y`, 2)).toBe(false);
    expect(m.match(long, 2)).toBe(true);
    expect(m.match("ac", 3)).toBe(false);
    expect(m.match("名", 4)).toBe(false);
    expect(m.match("名前", 4)).toBe(true);
    m.finish();
    expect(probes).toEqual(["ab", `${long}x`]);
  });

  it("the same sourcedId with another digest is no match, nor another sourcedId with the same digest", () => {
    const dir = written([[2, 7, "a"]]);
    const probes: string[] = [];
    const m = new PrintMatcher(dir, "users", (id) => probes.push(id));
    expect(m.match("b", 7)).toBe(false);
    expect(m.match("a", 8)).toBe(false);
    m.finish();
    expect(probes).toEqual(["a"]);
  });

  it("a file cut inside an entry, head or sourcedId, is refused", () => {
    for (const cut of [3, 17]) {
      const dir = written([[2, 7, "abcdef"], [3, 8, "ghijkl"]]);
      const path = printsPath(dir, "users");
      truncateSync(path, statSync(path).size - cut);
      const m = new PrintMatcher(dir, "users", () => {});
      expect(() => { m.match("abcdef", 7); m.finish(); }).toThrow(PrintsDisagree);
    }
  });
});
