import { describe, expect, it } from "vitest";
import { breaches, DEFAULT_THRESHOLDS, parseLimit } from "./thresholds.ts";

describe("change thresholds", () => {
  it("reads percentages and counts, and refuses anything else", () => {
    expect(parseLimit("10%")).toEqual({ percent: 10 });
    expect(parseLimit(" 2.5 % ")).toEqual({ percent: 2.5 });
    expect(parseLimit("500")).toEqual({ count: 500 });
    expect(() => parseLimit("ten")).toThrow('"ten" is not a threshold: write a percentage like "10%" or a count like "500"');
  });

  it("holds by default past 20 % deleted or 75 % updated, and not at the limit", () => {
    expect(breaches({ users: { existing: 100, deleted: 20, updated: 75 } }, DEFAULT_THRESHOLDS)).toEqual([]);
    expect(breaches({ users: { existing: 100, deleted: 21, updated: 76 } }, DEFAULT_THRESHOLDS)).toEqual([
      "users: 21 of 100 records (21.0%) would be deleted; the limit is 20%",
      "users: 76 of 100 records (76.0%) would be updated; the limit is 75%",
    ]);
  });

  it("a first import (nothing existing) is never held", () => {
    expect(breaches({ users: { existing: 0, deleted: 0, updated: 0 } }, DEFAULT_THRESHOLDS)).toEqual([]);
  });

  it("applies counts and per-entity overrides", () => {
    const t = { deletes: { percent: 20, count: 50 }, updates: { percent: 75 }, entities: { enrollments: { deletes: { percent: 40 } } } };
    expect(breaches({ users: { existing: 10_000, deleted: 60, updated: 0 } }, t)).toEqual(["users: 60 records would be deleted; the limit is 50"]);
    expect(breaches({ enrollments: { existing: 100, deleted: 30, updated: 0 } }, t)).toEqual([]);
    expect(breaches({ enrollments: { existing: 100, deleted: 41, updated: 0 } }, t)).toEqual(["enrollments: 41 of 100 records (41.0%) would be deleted; the limit is 40%"]);
  });
});
