/**
 * A full garbage collection on demand, where the runtime allows one.
 *
 * lmdb's queued writes (the apply's) leave each batch's instructions in fresh
 * `ArrayBuffer`s that V8 frees only at a full collection. The import's heap
 * is small and seldom needs one, so they piled up: in a floor test of 4 M
 * records RssAnon rose 44 → 120 MiB, and stayed at 70–76 MiB (as with
 * `putSync`) with a full collection every 50 batches, a few milliseconds
 * each with this heap. Where the runtime has no way to ask for one (the
 * flag cannot be set), this does nothing.
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined | null = null;

/**
 * Runs a full garbage collection if the runtime lets it be asked for.
 *
 * @example if (batches % 50 === 0) fullGc();
 */
export function fullGc(): void {
  if (collect === null) {
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
      collect = typeof gc === "function" ? (gc as () => void) : undefined;
    } catch {
      collect = undefined;
    }
  }
  collect?.();
}
