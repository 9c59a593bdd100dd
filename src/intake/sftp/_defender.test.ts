import { describe, expect, it } from "vitest";
import { Defender } from "./_defender.ts";

describe("Defender", () => {
  it("bans an address after too many failures, for a time that doubles each ban", () => {
    let now = 0;
    const d = new Defender(3, 1000, () => now);
    expect(d.failed("10.0.0.1")).toBeUndefined();
    expect(d.failed("10.0.0.1")).toBeUndefined();
    expect(d.failed("10.0.0.1")).toBe(1000);
    expect(d.banned("10.0.0.1")).toBe(true);
    expect(d.banned("10.0.0.2")).toBe(false);
    now = 1001;
    expect(d.banned("10.0.0.1")).toBe(false);
    d.failed("10.0.0.1");
    d.failed("10.0.0.1");
    expect(d.failed("10.0.0.1")).toBe(1001 + 2000);
  });

  it("a success clears the failures so far", () => {
    const d = new Defender(2, 1000, () => 0);
    d.failed("a");
    d.succeeded("a");
    expect(d.failed("a")).toBeUndefined();
  });
});
