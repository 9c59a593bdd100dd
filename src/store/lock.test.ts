import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { lockDataDir } from "./lock.ts";

describe("the data directory lock", () => {
  it("refuses a second owner while the first is alive, and is free again after release", () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    const sleeper = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(dir, "rosterbox.lock"), String(sleeper.pid));
      expect(() => lockDataDir(dir)).toThrow(`${dir} is in use by process ${sleeper.pid}`);
    } finally {
      sleeper.kill("SIGKILL");
      release();
    }
    lockDataDir(dir)();
  });

  it("takes over a lock left by a process that died", async () => {
    const dir = tempDir();
    const dead = spawn("true");
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(join(dir, "rosterbox.lock"), String(dead.pid));
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, "rosterbox.lock"), "utf8")).toBe(String(process.pid));
    release();
  });
});
