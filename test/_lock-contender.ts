/**
 * One of several processes taking a data dir's lock at the same instants
 * (src/store/lock.test.ts): for each round it waits for the round's start,
 * tries `lockDataDir`, holds what it got until the round's end, and prints
 * `round got|busy`.
 *
 * Usage: node --import tsx test/_lock-contender.ts ROOT START_MS ROUNDS ROUND_MS
 *
 * @module
 */
import { join } from "node:path";
import { lockDataDir } from "../src/store/lock.ts";

const [root, start, rounds, roundMs] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const out: string[] = [];
for (let r = 0; r < rounds; r++) {
  const at = start + r * roundMs;
  while (Date.now() < at); // a busy wait lines the contenders up to the millisecond
  let release: (() => void) | undefined;
  try {
    release = lockDataDir(join(root, `round-${r}`));
    out.push(`${r} got`);
  } catch (err) {
    out.push(/is in use by process/.test((err as Error).message) ? `${r} busy` : `${r} error ${(err as Error).message}`);
  }
  while (Date.now() < at + roundMs * 0.75);
  release?.();
}
process.stdout.write(out.join("\n") + "\n");
