import { describe, expect, it } from "vitest";
import { fullGc } from "./_full-gc.ts";

describe("fullGc", () => {
  it("collects what nothing refers to any more", async () => {
    let target: { rows: number[] } | undefined = { rows: new Array(10_000).fill(1) };
    const ref = new WeakRef(target);
    target = undefined;
    // A WeakRef's target is kept to the end of the job that made it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    fullGc();
    expect(ref.deref()).toBeUndefined();
  });
});
