/**
 * `rosterbox serve` as a child process for tests, with its JSON log lines.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const CLI = join(import.meta.dirname, "..", "bin", "rosterbox.mjs");

export interface Served {
  child: ChildProcess;
  /** Every JSON log line so far. */
  lines: () => Record<string, unknown>[];
  /** Everything it printed (stdout and stderr). */
  output: () => string;
}

/** Starts `serve --config FILE`; the caller kills it. */
export function spawnServe(config: string): Served {
  const child = spawn(process.execPath, [CLI, "serve", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const lines = () => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, lines, output: () => out };
}
