import { describe, expect, it } from "vitest";
import { QuietTracker } from "./quiet.ts";

describe("QuietTracker", () => {
  it("takes a file only after it has been unchanged for the quiet time", () => {
    let now = 1_000_000;
    const quiet = new QuietTracker(30_000, () => now);
    expect(quiet.observe("/s/a.txt", 100, 900_000)).toBe(false);
    now += 20_000;
    expect(quiet.observe("/s/a.txt", 100, 900_000)).toBe(false);
    now += 10_000;
    expect(quiet.observe("/s/a.txt", 100, 900_000)).toBe(true);
  });

  it("starts again whenever the file grows or is touched", () => {
    let now = 0;
    const quiet = new QuietTracker(1_000, () => now);
    quiet.observe("f", 10, 0);
    now = 900;
    quiet.observe("f", 20, 900); // still being written
    now = 1_500;
    expect(quiet.observe("f", 20, 900)).toBe(false);
    now = 1_900;
    expect(quiet.observe("f", 20, 900)).toBe(true);
  });

  it("never takes an empty file, and forgets files that went away", () => {
    let now = 0;
    const quiet = new QuietTracker(10, () => now);
    quiet.observe("empty", 0, 0);
    quiet.observe("gone", 5, 0);
    now = 100;
    expect(quiet.observe("empty", 0, 0)).toBe(false);
    quiet.keepOnly(new Set(["empty"]));
    expect(quiet.observe("gone", 5, 0)).toBe(false); // seen afresh
  });
});
