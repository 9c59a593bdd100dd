import { describe, expect, it } from "vitest";
import { scheduled } from "./_cron.ts";

describe("serve's schedules", () => {
  it("log a run that throws, and run again at the next time", async () => {
    const failures: string[] = [];
    let runs = 0;
    const cron = scheduled("0 3 * * *", "UTC", () => {
      runs++;
      throw new Error(`EACCES: permission denied, rmdir '/var/lib/rosterbox/archive/run${runs}'`);
    }, (message) => failures.push(message));
    try {
      // What the 03:00 timer does, twice; without the catch the first one is an unhandled rejection.
      await cron.trigger();
      await cron.trigger();
      expect(runs).toBe(2);
      expect(failures).toEqual([
        "EACCES: permission denied, rmdir '/var/lib/rosterbox/archive/run1'",
        "EACCES: permission denied, rmdir '/var/lib/rosterbox/archive/run2'",
      ]);
      expect(cron.isRunning()).toBe(true);
      expect(cron.nextRun()!.toISOString()).toMatch(/T03:00:00\.000Z$/);
    } finally {
      cron.stop();
    }
  });
});
