import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { mergeRunsRaw, runFileName, RunWriter } from "./_runs.ts";

/** The merge, each entry decoded before the next is asked for (it is valid only until then). */
function mergeRuns(dir: string): { key: string; value: string }[] {
  const out = [];
  for (const e of mergeRunsRaw(dir)) out.push({ key: e.key, value: e.raw.buf.toString("utf8", e.raw.valueStart, e.raw.end) });
  return out;
}

describe("sorted runs", () => {
  it("merges many runs back in key order, equal keys in the order they were added", () => {
    const dir = tempDir();
    const runs = new RunWriter(dir);
    const added: [string, string][] = [];
    for (let i = 0; i < 30_000; i++) {
      const key = `users\x00${((i * 7919) % 10_007).toString(36)}`;
      const value = `row ${i} ${"é".repeat(i % 5)}\n${"x".repeat(i % 300)}`;
      added.push([key, value]);
      runs.add(key, value);
      if (i % 4_000 === 3_999) runs.flush();
    }
    expect(runs.finish()).toBe(8);
    const merged = mergeRuns(dir).map((e) => [e.key, e.value] as [string, string]);
    const expected = added.map((e, i) => [e, i] as const).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map((e) => e[0]);
    expect(merged).toEqual(expected);
  });

  it("keeps a value larger than its buffer", () => {
    const dir = tempDir();
    const runs = new RunWriter(dir);
    const big = "y".repeat(20 * 1024 * 1024);
    runs.add("a\x00small", "s");
    runs.add("a\x00big", big);
    runs.finish();
    const merged = mergeRuns(dir);
    expect(merged.map((e) => e.key)).toEqual(["a\x00big", "a\x00small"]);
    expect(merged[0]!.value.length).toBe(big.length);
  });

  it("sorts by key bytes across groups, shared prefixes, ties and non-ASCII keys", () => {
    const dir = tempDir();
    const runs = new RunWriter(dir);
    const added: string[] = [];
    const shapes = [
      (i: number) => `users\x00${(i * 7919 % 5003).toString(16)}`,
      (i: number) => `classes\x00sis-2026-${String(i * 31 % 997).padStart(6, "0")}x${i % 3}`,
      (i: number) => `user\x00${"é".repeat(i % 3)}${i % 50}`,
      (i: number) => `plain${i % 7}`,
      (i: number) => `users\x00${"a".repeat(i % 9)}`,
    ];
    for (let i = 0; i < 20_000; i++) {
      const key = shapes[i % shapes.length]!(i);
      added.push(key);
      runs.add(key, String(i));
    }
    runs.finish();
    const merged = mergeRuns(dir).map((e) => [e.key, e.value]);
    const expected = added.map((k, i) => [k, String(i)]).sort((a, b) => Buffer.compare(Buffer.from(a[0]!), Buffer.from(b[0]!)) || Number(a[1]) - Number(b[1]));
    expect(merged).toEqual(expected);
  });

  it("says where each value is in its run file, across buffer refills and an oversized value", () => {
    const dir = tempDir();
    const runs = new RunWriter(dir);
    for (let i = 0; i < 3_000; i++) runs.add(`users\x00${String(i).padStart(5, "0")}`, `body ${i} ${"é".repeat(i % 40)}`);
    runs.add("users\x00zz", "w".repeat(200 * 1024));
    runs.flush();
    runs.add("users\x00a", "in the second run");
    runs.finish();
    const files = [0, 1].map((n) => readFileSync(join(dir, runFileName(n))));
    let checked = 0;
    for (const e of mergeRunsRaw(dir)) {
      const value = e.raw.buf.subarray(e.raw.valueStart, e.raw.end);
      const at = e.raw.base + e.raw.valueStart;
      expect(files[e.run]!.subarray(at, at + value.length).equals(value)).toBe(true);
      checked++;
    }
    expect(checked).toBe(3_002);
  });

});

