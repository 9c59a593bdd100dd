import { describe, expect, it } from "vitest";
import { JobQueue } from "./queue.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("JobQueue", () => {
  it("runs one job per tenant at a time, in the order received, tenants in parallel up to the limit", async () => {
    const log: string[] = [];
    let concurrent = 0;
    let most = 0;
    const queue = new JobQueue<{ id: string; tenant: string }>(2, async (job) => {
      concurrent++;
      most = Math.max(most, concurrent);
      log.push(`start ${job.id}`);
      await tick(job.tenant === "a" ? 20 : 5);
      log.push(`end ${job.id}`);
      concurrent--;
    });
    for (const id of ["a1", "a2", "a3"]) queue.add({ id, tenant: "a" });
    for (const id of ["b1", "b2"]) queue.add({ id, tenant: "b" });
    queue.add({ id: "c1", tenant: "c" });
    expect(queue.busy("a")).toBe(true);
    expect(queue.waiting("a").map((j) => j.id)).toEqual(["a2", "a3"]);
    await queue.idle();
    expect(most).toBe(2);
    for (const tenant of ["a", "b"]) {
      const mine = log.filter((l) => l.includes(` ${tenant}`));
      // Never two of one tenant at once: each start follows the previous end.
      for (let i = 1; i < mine.length; i += 2) expect(mine[i]).toBe(mine[i - 1]!.replace("start", "end"));
    }
    expect(log.filter((l) => l.startsWith("start a"))).toEqual(["start a1", "start a2", "start a3"]);
    expect(log.indexOf("start c1")).toBeLessThan(log.indexOf("start a2")); // c is not starved by a's backlog
  });

  it("a failing job is reported and the tenant's next one still runs", async () => {
    const errors: string[] = [];
    const done: string[] = [];
    const queue = new JobQueue<{ id: string; tenant: string }>(1, async (job) => {
      if (job.id === "x1") throw new Error("boom");
      done.push(job.id);
    }, (job, err) => errors.push(`${job.id}: ${(err as Error).message}`));
    queue.add({ id: "x1", tenant: "x" });
    queue.add({ id: "x2", tenant: "x" });
    await queue.idle();
    expect(errors).toEqual(["x1: boom"]);
    expect(done).toEqual(["x2"]);
  });

  it("after stop, running jobs finish and nothing new starts", async () => {
    const started: string[] = [];
    const queue = new JobQueue<{ id: string; tenant: string }>(1, async (job) => {
      started.push(job.id);
      await tick(10);
    });
    queue.add({ id: "s1", tenant: "s" });
    queue.add({ id: "s2", tenant: "s" });
    queue.stop();
    await queue.idle();
    expect(started).toEqual(["s1"]);
    expect(queue.waiting("s").map((j) => j.id)).toEqual(["s2"]);
  });
});
