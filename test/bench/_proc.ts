/**
 * Runs one child process for a benchmark and measures it: wall time, peak
 * anonymous memory, and the CPU time it spent in user space and in the kernel.
 *
 * Memory is `RssAnon` from `/proc/PID/status`, not RSS: LMDB maps its file and
 * the mapped pages count in RSS although the kernel can drop them at will, so
 * RSS would charge the store's size to the importer. `RssAnon` is per process
 * (threads share one address space, so worker threads are included); processes
 * the child starts are added in, in case the command forks.
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** What {@link runMeasured} observed. */
export interface Measured {
  stdout: string;
  stderr: string;
  /** Exit code; null when the child was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Highest sum of RssAnon over the child and its descendants at any sample, in MiB (the kB of /proc ÷ 1024). */
  peakRssAnonMB: number;
  /** Wall time from spawn to exit. */
  seconds: number;
  /**
   * CPU seconds of the child and its descendants (all threads), user and
   * kernel, as of the last sample before it exited (up to one interval short).
   */
  cpu: { user: number; sys: number };
}

/** Clock ticks per second of `/proc/PID/stat`'s times. */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime and stime of one process (every thread, and children it has waited for), in ticks; zeros once it is gone. */
function cpuTicks(pid: number): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: Number(f[11]) + Number(f[13]), sys: Number(f[12]) + Number(f[14]) };
  } catch {
    return { user: 0, sys: 0 };
  }
}

/** RssAnon of one process in kB, 0 once it is gone. */
function rssAnonKB(pid: number): number {
  try {
    const m = /^RssAnon:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants, found through each thread's `children` file. */
function processTree(pid: number, into: number[] = []): number[] {
  into.push(pid);
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return into;
  }
  for (const tid of tasks) {
    let children = "";
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, "latin1");
    } catch {
      continue;
    }
    for (const child of children.split(" ")) if (child.trim()) processTree(Number(child), into);
  }
  return into;
}

/**
 * Runs `command args` (no shell), samples the peak RssAnon of its process tree
 * every `intervalMs` (default 50 ms) and times it. Never throws for a failing
 * command: the caller decides what a non-zero exit means. With `echoStderr`
 * the child's stderr is also passed through live (progress of long runs).
 */
export function runMeasured(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; intervalMs?: number; echoStderr?: boolean } = {},
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [], err: Buffer[] = [];
    let peakKB = 0;
    const cpu = { user: 0, sys: 0 };
    const sample = () => {
      if (child.pid === undefined) return;
      let kb = 0, user = 0, sys = 0;
      for (const pid of processTree(child.pid)) {
        kb += rssAnonKB(pid);
        const t = cpuTicks(pid);
        user += t.user;
        sys += t.sys;
      }
      if (kb > peakKB) peakKB = kb;
      // A sample taken as the process ends finds it gone: keep the last full one.
      if (user + sys >= cpu.user + cpu.sys) Object.assign(cpu, { user, sys });
    };
    const timer = setInterval(sample, options.intervalMs ?? 50);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => {
      err.push(b);
      if (options.echoStderr) process.stderr.write(b);
    });
    child.on("error", (e) => {
      clearInterval(timer);
      reject(e);
    });
    // 'exit' stops the clock as soon as the process ends; 'close' waits for its pipes to drain.
    let seconds = 0;
    child.on("exit", () => {
      seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      clearInterval(timer);
    });
    child.on("close", (code, signal) => {
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code,
        signal,
        peakRssAnonMB: peakKB / 1024,
        seconds,
        cpu: { user: cpu.user / clockTicks(), sys: cpu.sys / clockTicks() },
      });
    });
    sample();
  });
}
