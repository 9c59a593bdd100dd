/**
 * Asks LMDB to bring the pages of records the plan will read into memory,
 * on a thread of libuv's pool, while the stage goes on reading the package.
 *
 * A nightly re-import reads few records, but each at a random place in the
 * store: the record of every row that changed. At night the store's pages
 * are often out of the page cache (a day of other work evicted them), and
 * then each read is a trip to the disk on the import's thread. In a test of
 * 12,080 such reads from a 200k-student store just dropped from the cache,
 * they took 1161 ms on the import's thread (96 µs each); prefetched, 67–69 ms
 * on the pool's thread and 35–41 ms on the reader's.
 *
 * @module
 */
import type { Database } from "lmdb";

/** Keys gathered before they are handed to LMDB, which encodes them all before its thread starts. */
export const PREFETCH_BATCH = 1024;

/**
 * Gathers record keys and prefetches them a batch at a time. Only a hint:
 * a key that is not there, or a prefetch still running when the plan reads
 * the key, changes nothing but the time the read takes.
 *
 * @example
 * const prefetch = new RecordPrefetch(store.records);
 * prefetch.add(recordKey("strata", "users", "u1"));
 * prefetch.flush();
 */
export class RecordPrefetch {
  #keys: string[] = [];
  #running = new Set<Promise<void>>();

  constructor(readonly db: Database<Buffer, string>) {}

  /** Gathers `key`; returns the prefetch of its batch when it fills one (see {@link flush}). */
  add(key: string): Promise<void> | undefined {
    this.#keys.push(key);
    return this.#keys.length >= PREFETCH_BATCH ? this.flush() : undefined;
  }

  /**
   * Hands what is gathered to LMDB, which reads it on its own; returns a
   * promise of when it has (undefined when nothing was gathered).
   */
  flush(): Promise<void> | undefined {
    if (this.#keys.length === 0) return undefined;
    const keys = this.#keys;
    this.#keys = [];
    const running = this.db.prefetch(keys);
    this.#running.add(running);
    void running.then(() => this.#running.delete(running));
    return running;
  }

  /**
   * Waits for the prefetches still running. The store must not close under
   * one: LMDB's thread reads its map, and closing it does not wait for them
   * (tried: a store closed 1.9 ms in, while its prefetch of 1,024 keys ended
   * at 4.6 ms). A failed prefetch is reported on the console by lmdb and never
   * settles, so the wait is bounded; the reads that follow fail or succeed
   * on their own.
   *
   * @example try { stage(); } finally { await prefetch.settle(); }
   */
  settle(limitMs = 10_000): Promise<void> {
    return settleWithin([...this.#running], limitMs);
  }
}

/**
 * Resolves once every promise has resolved, or after `limitMs`, whichever
 * comes first.
 *
 * @example await settleWithin([prefetch], 10_000);
 */
export async function settleWithin(promises: readonly Promise<unknown>[], limitMs: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
  try {
    await Promise.race([Promise.all(promises), limit]);
  } finally {
    clearTimeout(timer);
  }
}
