import { describe, expect, it } from "vitest";
import { InFlight } from "./_inflight.ts";

describe("the in-flight cap", () => {
  it("never runs more than the limit, queues the rest in order, pauses once and resumes at half", () => {
    const events: string[] = [];
    const cap = new InFlight(4, () => events.push("full"), () => events.push("room"));
    const running: (() => void)[] = [];
    const started: number[] = [];
    for (let i = 0; i < 10; i++) cap.run((done) => { started.push(i); running.push(done); });
    expect(started).toEqual([0, 1, 2, 3]);
    expect(events).toEqual(["full"]);
    // Each one done lets the next queued one start; the cap stays full while any wait.
    for (let i = 0; i < 6; i++) running.shift()!();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events).toEqual(["full"]);
    running.shift()!();
    expect(events).toEqual(["full"]);
    running.shift()!();
    expect(events).toEqual(["full", "room"]);
    expect(cap.peak).toBe(4);
  });

  it("counts a done called twice once", () => {
    const cap = new InFlight(1);
    let done: () => void = () => {};
    cap.run((d) => (done = d));
    let second = false;
    cap.run(() => (second = true));
    done();
    done();
    expect(second).toBe(true);
    expect(cap.peak).toBe(1);
  });
});
