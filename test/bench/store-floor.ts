/**
 * The store's own write speed, as a second anchor for the import benchmark:
 * the records a first import left in a data dir, written in key order into a
 * fresh store, 5,000 a transaction — the apply's batching without any of the
 * import (no parse, checks, sort, plan, change log or results).
 *
 * Only the writes are timed: each batch is read from the source store into
 * memory first, untimed. (Until 2026-12-01 the reads were timed with the
 * writes; they were about a quarter of the figure warm, and more than half
 * when the source store was not yet in the page cache.)
 *
 * CLI: `node --import tsx test/bench/store-floor.ts FROM_DATA_DIR TO_DATA_DIR TENANT`;
 * prints `{ "rows", "bytes", "seconds" }` (seconds: the writes alone, synced).
 *
 * @module
 */
import { recordRange } from "../../src/store/keys.ts";
import { BATCH_TXN, openStore } from "../../src/store/mod.ts";
import { ENTITIES } from "../../src/model/entities.ts";

const BATCH = 5_000;
const [from, to, tenant] = process.argv.slice(2);
if (!from || !to || !tenant) {
  process.stderr.write("usage: store-floor.ts FROM_DATA_DIR TO_DATA_DIR TENANT\n");
  process.exit(2);
}
const source = openStore(from);
const target = openStore(to);
let rows = 0;
let bytes = 0;
let writing = 0;
const keys: string[] = [];
const values: Buffer[] = [];
for (const entity of Object.keys(ENTITIES).sort()) {
  const range = source.records.getRange(recordRange(tenant, entity))[Symbol.iterator]();
  for (let r = range.next(); !r.done; ) {
    keys.length = 0;
    values.length = 0;
    for (; keys.length < BATCH && !r.done; r = range.next()) {
      keys.push(r.value.key);
      values.push(Buffer.from(r.value.value));
    }
    const t0 = performance.now();
    target.env.transactionSync(() => {
      for (let i = 0; i < keys.length; i++) target.records.putSync(keys[i]!, values[i]!);
    }, BATCH_TXN);
    writing += performance.now() - t0;
    rows += keys.length;
    for (let i = 0; i < keys.length; i++) bytes += Buffer.byteLength(keys[i]!) + values[i]!.length;
  }
}
const t0 = performance.now();
await target.env.flushed;
const seconds = (writing + performance.now() - t0) / 1000;
await target.close();
await source.close();
console.log(JSON.stringify({ rows, bytes, seconds }));
