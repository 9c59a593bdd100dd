/**
 * One of several processes taking a data dir's lock at the same instants
 * (src/store/lock.test.ts): for each round it waits for the round's start,
 * tries `lockDataDir`, holds what it got until the round's end, and prints
 * `round got|busy|late`. A contender that reaches a round too late to
 * contest it (a busy machine) says so instead of trying.
 *
 * Usage: node --import tsx test/_lock-contender.ts ROOT START_MS ROUNDS ROUND_MS
 *
 * @module
 */
import { join } from "node:path";
import { lockDataDir } from "../src/store/lock.ts";

const [root, start, rounds, roundMs] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const nap = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps until a few ms before `t`, then spins: the contenders line up to the millisecond without four cores spinning for seconds. */
function until(t: number): void {
  const left = t - Date.now() - 5;
  if (left > 0) Atomics.wait(nap, 0, 0, left);
  while (Date.now() < t);
}
const out: string[] = [];
for (let r = 0; r < rounds; r++) {
  const at = start + r * roundMs;
  if (Date.now() > at + roundMs / 5) {
    out.push(`${r} late`);
    continue;
  }
  until(at);
  let release: (() => void) | undefined;
  try {
    release = lockDataDir(join(root, `round-${r}`));
    out.push(`${r} got`);
  } catch (err) {
    out.push(/is in use by process/.test((err as Error).message) ? `${r} busy` : `${r} error ${(err as Error).message}`);
  }
  until(at + roundMs * 0.75);
  release?.();
}
process.stdout.write(out.join("\n") + "\n");
