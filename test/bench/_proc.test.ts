import { describe, expect, it } from "vitest";
import { runMeasured } from "./_proc.ts";

// A child that keeps one core busy for `ms` and allocates ~64 MiB it touches.
const BUSY = (ms: number) => `const b = Buffer.alloc(64 << 20, 1); const end = Date.now() + ${ms}; let x = 0; while (Date.now() < end) x += b[x & 0xffff]; console.log(x > 0)`;

describe("runMeasured", () => {
  it("reports the CPU time and anonymous memory of the child", async () => {
    const m = await runMeasured(process.execPath, ["-e", BUSY(600)]);
    expect(m.code).toBe(0);
    expect(m.stdout.trim()).toBe("true");
    // Busy for 0.6 s of its wall time: most of it counts as user time (the last sample may be 50 ms short).
    expect(m.cpu.user).toBeGreaterThan(0.35);
    expect(m.cpu.user + m.cpu.sys).toBeLessThan(m.seconds * 2 + 0.1);
    expect(m.peakRssAnonMB).toBeGreaterThan(60);
  });

  it("counts the processes the child starts", async () => {
    const m = await runMeasured("sh", ["-c", `"${process.execPath}" -e '${BUSY(600)}'`]);
    expect(m.code).toBe(0);
    expect(m.cpu.user).toBeGreaterThan(0.35);
    expect(m.peakRssAnonMB).toBeGreaterThan(60);
  });

  it("reports a failing command's exit code rather than throwing", async () => {
    const m = await runMeasured("sh", ["-c", "echo oops >&2; exit 3"]);
    expect(m.code).toBe(3);
    expect(m.stderr.trim()).toBe("oops");
  });
});
