/**
 * The store's own write speed, as a second anchor for the import benchmark:
 * the records a first import left in a data dir, copied in key order into a
 * fresh store, 5,000 a transaction — the apply's batching without any of the
 * import (no parse, checks, sort, plan, change log or results). What an import
 * can never beat on this machine, measured in the same run.
 *
 * CLI: `node --import tsx test/bench/store-floor.ts FROM_DATA_DIR TO_DATA_DIR TENANT`;
 * prints `{ "rows", "bytes", "seconds" }` (seconds: the copy alone, synced).
 *
 * @module
 */
import { recordRange } from "../../src/store/keys.ts";
import { BATCH_TXN, openStore } from "../../src/store/mod.ts";
import { ENTITIES } from "../../src/model/entities.ts";

const [from, to, tenant] = process.argv.slice(2);
if (!from || !to || !tenant) {
  process.stderr.write("usage: store-floor.ts FROM_DATA_DIR TO_DATA_DIR TENANT\n");
  process.exit(2);
}
const source = openStore(from);
const target = openStore(to);
let rows = 0;
let bytes = 0;
const started = performance.now();
for (const entity of Object.keys(ENTITIES).sort()) {
  const range = source.recordTexts.getRange(recordRange(tenant, entity))[Symbol.iterator]();
  for (let r = range.next(); !r.done; ) {
    target.env.transactionSync(() => {
      for (let n = 0; n < 5_000 && !r.done; n++, r = range.next()) {
        target.recordTexts.putSync(r.value.key, r.value.value);
        rows++;
        bytes += r.value.key.length + r.value.value.length;
      }
    }, BATCH_TXN);
  }
}
await target.env.flushed;
const seconds = (performance.now() - started) / 1000;
await target.close();
await source.close();
console.log(JSON.stringify({ rows, bytes, seconds }));
