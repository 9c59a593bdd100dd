import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { recordKey } from "../store/keys.ts";
import { openStore, type Store } from "../store/mod.ts";
import { PREFETCH_BATCH, RecordPrefetch, settleWithin } from "./_prefetch.ts";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function storeWith(n: number): Store {
  store = openStore(tempDir("rosterbox-prefetch-"));
  const s = store;
  s.env.transactionSync(() => {
    for (let i = 0; i < n; i++) s.records.putSync(recordKey("t", "users", `u${i}`), Buffer.from(`record ${i}`));
  });
  return s;
}

describe("RecordPrefetch", () => {
  it("hands keys to LMDB a batch at a time, and the rest when flushed", async () => {
    const s = storeWith(PREFETCH_BATCH + 10);
    const prefetch = new RecordPrefetch(s.records);
    const issued: Promise<void>[] = [];
    for (let i = 0; i < PREFETCH_BATCH + 10; i++) {
      const p = prefetch.add(recordKey("t", "users", `u${i}`));
      if (p) issued.push(p);
    }
    // One full batch went at its last key; the ten after it wait for flush().
    expect(issued).toHaveLength(1);
    const rest = prefetch.flush();
    expect(rest).toBeInstanceOf(Promise);
    expect(prefetch.flush()).toBeUndefined();
    await Promise.all([...issued, rest]);
    // A hint only: the records read as they are.
    expect(s.recordTexts.get(recordKey("t", "users", "u7"))).toBe("record 7");
    expect(s.recordTexts.get(recordKey("t", "users", `u${PREFETCH_BATCH + 9}`))).toBe(`record ${PREFETCH_BATCH + 9}`);
  });

  it("a key that is not in the store is no error", async () => {
    const s = storeWith(1);
    const prefetch = new RecordPrefetch(s.records);
    prefetch.add(recordKey("t", "users", "nobody"));
    prefetch.add(recordKey("t", "users", "u0"));
    await prefetch.flush();
    expect(s.recordTexts.get(recordKey("t", "users", "nobody"))).toBeUndefined();
  });

  it("settle() waits for every prefetch still running, so that the store can close", async () => {
    const s = storeWith(3 * PREFETCH_BATCH);
    const prefetch = new RecordPrefetch(s.records);
    let done = 0;
    for (let i = 0; i < 3 * PREFETCH_BATCH; i++) void prefetch.add(recordKey("t", "users", `u${i}`))?.then(() => done++);
    await prefetch.settle();
    expect(done).toBe(3);
    await prefetch.settle();
  });
});

describe("settleWithin", () => {
  it("resolves when all have", async () => {
    let resolved = 0;
    const later = (ms: number) => new Promise<void>((r) => setTimeout(() => (resolved++, r()), ms));
    const t0 = performance.now();
    await settleWithin([later(5), later(20)], 5_000);
    expect(resolved).toBe(2);
    // Not the limit: as soon as the last one resolved.
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it("gives up on a promise that never settles after the limit", async () => {
    const t0 = performance.now();
    await settleWithin([new Promise(() => {})], 50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });
});
