import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { pruneOlderThan } from "./retention.ts";

describe("archive retention", () => {
  it("removes entries older than the retention and keeps the rest", () => {
    const dir = tempDir();
    const now = Date.parse("2026-11-24T03:00:00Z");
    const age = (name: string, days: number, folder = false) => {
      const path = join(dir, name);
      if (folder) {
        mkdirSync(path);
        writeFileSync(join(path, "users.csv"), "x");
      } else writeFileSync(path, "x");
      const t = new Date(now - days * 86_400_000);
      utimesSync(path, t, t);
    };
    age("job-old", 61, true);
    age("job-edge", 59.9, true);
    age("strata_2026_09_01.txt", 84);
    age("strata_2026_11_23.txt", 1);
    expect(pruneOlderThan(dir, 60, now)).toEqual(["job-old", "strata_2026_09_01.txt"]);
    expect(existsSync(join(dir, "job-edge", "users.csv"))).toBe(true);
    expect(existsSync(join(dir, "strata_2026_11_23.txt"))).toBe(true);
  });

  it("a missing archive is nothing to prune", () => {
    expect(pruneOlderThan(join(tempDir(), "none"), 60)).toEqual([]);
  });
});
