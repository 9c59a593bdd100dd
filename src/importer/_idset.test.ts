import { describe, expect, it } from "vitest";
import { IdSet } from "./_idset.ts";

describe("IdSet", () => {
  it("holds exactly the ids added, through many growths", () => {
    const set = new IdSet();
    for (let i = 0; i < 200_000; i++) set.add(`u-${i}`);
    set.add("u-5");
    expect(set.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) expect(set.has(`u-${i}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 200_000; i < 400_000; i++) if (set.has(`u-${i}`)) falsePositives++;
    expect(falsePositives).toBe(0);
    expect(set.has("")).toBe(false);
  });
});
