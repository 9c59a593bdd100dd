import { describe, expect, it } from "vitest";
import { digestSeed, rowDigest } from "./digest.ts";

describe("rowDigest", () => {
  const seed = digestSeed(["sourcedId", "status", "givenName"]);

  it("is the same for the same values and header, in [0, 2^53)", () => {
    const d = rowDigest(seed, ["u1", "", "Ada"]);
    expect(d).toBe(rowDigest(digestSeed(["sourcedId", "status", "givenName"]), ["u1", "", "Ada"]));
    expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
  });

  it("differs when a value, the split between values, or the header differs", () => {
    const d = rowDigest(seed, ["u1", "", "Ada"]);
    expect(rowDigest(seed, ["u1", "", "Adb"])).not.toBe(d);
    expect(rowDigest(seed, ["u1", "A", "da"])).not.toBe(d);
    expect(rowDigest(seed, ["u1", "Ada", ""])).not.toBe(d);
    expect(rowDigest(digestSeed(["sourcedId", "givenName", "status"]), ["u1", "", "Ada"])).not.toBe(d);
  });

  it("spreads 200,000 similar rows without a collision", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) seen.add(rowDigest(seed, [`u${i}`, "active", `Name${i % 100}`]));
    expect(seen.size).toBe(200_000);
  });
});
