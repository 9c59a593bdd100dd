import { execFile, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { lockDataDir } from "./lock.ts";

const BOOT = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
const deadPid = async () => {
  const dead = spawn("true");
  await new Promise((r) => dead.on("exit", r));
  return dead.pid!;
};

describe("the data directory lock", () => {
  it("refuses a second owner while the first is alive, and is free again after release", async () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    const sleeper = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(dir, "rosterbox.lock"), String(sleeper.pid));
      expect(() => lockDataDir(dir)).toThrow(`${dir} is in use by process ${sleeper.pid}`);
      writeFileSync(join(dir, "rosterbox.lock"), `${sleeper.pid} ${BOOT}`);
      expect(() => lockDataDir(dir)).toThrow(`${dir} is in use by process ${sleeper.pid}`);
    } finally {
      sleeper.kill("SIGKILL");
      await new Promise((r) => sleeper.on("exit", r));
      release();
    }
    // The sleeper's lock, left behind: its process is gone, so it is taken over.
    lockDataDir(dir)();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("takes over a lock left by a process that died, or by one from before a reboot", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "rosterbox.lock"), String(await deadPid()));
    let release = lockDataDir(dir);
    expect(readFileSync(join(dir, "rosterbox.lock"), "utf8")).toBe(`${process.pid} ${BOOT}`);
    release();
    // The pid lives again in this boot, as another process: the boot id says the lock is not its.
    const sleeper = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(dir, "rosterbox.lock"), `${sleeper.pid} 00000000-0000-4000-8000-000000000000`);
      release = lockDataDir(dir);
      expect(readFileSync(join(dir, "rosterbox.lock"), "utf8")).toBe(`${process.pid} ${BOOT}`);
      release();
    } finally {
      sleeper.kill("SIGKILL");
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("release leaves a lock that is not its own", () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    writeFileSync(join(dir, "rosterbox.lock"), `1 ${BOOT}`);
    release();
    expect(readFileSync(join(dir, "rosterbox.lock"), "utf8")).toBe(`1 ${BOOT}`);
  });

  it("has one owner when several processes take it at the same instant, with no lock there or a stale one", async () => {
    const root = tempDir();
    const rounds = 16;
    const roundMs = 250;
    const stale = String(await deadPid());
    for (let r = 0; r < rounds; r++) {
      mkdirSync(join(root, `round-${r}`));
      // Every other round starts from a lock a dead process left.
      if (r % 2 === 1) writeFileSync(join(root, `round-${r}`, "rosterbox.lock"), stale);
    }
    const start = Date.now() + 6000; // time for the contenders' TypeScript loaders to start, on a busy machine too
    const contender = join(import.meta.dirname, "..", "..", "test", "_lock-contender.ts");
    const outputs = await Promise.all(Array.from({ length: 4 }, () =>
      promisify(execFile)(process.execPath, ["--import", "tsx", contender, root, String(start), String(rounds), String(roundMs)], { timeout: 60_000 })));
    const lines = outputs.flatMap((o) => o.stdout.trim().split("\n"));
    expect(lines.filter((l) => l.includes("error"))).toEqual([]);
    let contested = 0;
    for (let r = 0; r < rounds; r++) {
      const tried = lines.filter((l) => l === `${r} got` || l === `${r} busy`).length;
      if (tried >= 2) contested++;
      // Of those that tried at the same instant, one holds it.
      expect(lines.filter((l) => l === `${r} got`).length, `round ${r}`).toBe(tried > 0 ? 1 : 0);
    }
    // Rounds the contenders all reached late prove nothing; most must have been contested.
    expect(contested, lines.join(" ")).toBeGreaterThanOrEqual(rounds / 2);
  }, 90_000);
});
