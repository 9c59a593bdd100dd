/**
 * `rosterbox serve` as a child process for tests, with its JSON log lines.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { until } from "./_until.ts";

export const CLI = join(import.meta.dirname, "..", "bin", "rosterbox.mjs");

export interface Served {
  child: ChildProcess;
  /** Every JSON log line so far. */
  lines: () => Record<string, unknown>[];
  /** Everything it printed (stdout and stderr). */
  output: () => string;
  /** The first log line of `event`; fails with everything serve printed if it exits first. */
  logged: (event: string, ms?: number) => Promise<Record<string, unknown>>;
}

/** Starts `serve --config FILE`; the caller kills it. */
export function spawnServe(config: string): Served {
  const child = spawn(process.execPath, [CLI, "serve", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
  // Kept apart: a chunk of stderr must not land inside a log line on stdout.
  let stdout = "";
  let out = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
    out += d;
  });
  child.stderr!.on("data", (d) => (out += d));
  // Whole lines only: the last one may still be on its way.
  const lines = () => stdout.slice(0, stdout.lastIndexOf("\n") + 1).split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
  const logged = async (event: string, ms?: number) => {
    const line = await until(`serve to log "${event}"`, () => lines().find((l) => l.event === event) ?? ((child.exitCode !== null || child.signalCode !== null) && { exited: child.exitCode ?? child.signalCode }), ms);
    if ("exited" in line && line.event === undefined) throw new Error(`serve exited (${String(line.exited)}) before it logged "${event}"; it printed:\n${out}`);
    return line;
  };
  return { child, lines, output: () => out, logged };
}
