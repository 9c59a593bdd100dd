/**
 * The built-in `oneroster-csv` export: the tenant's whole store as a
 * OneRoster bundle folder (manifest.csv and one CSV per entity, columns as
 * the store knows them), or with `delta: true` the records changed since the
 * last run with their status. Importing the bulk bundle into an empty
 * appliance gives the same records (test/exports.test.ts).
 *
 * The folder is written under a hidden name and renamed when complete.
 *
 * @module
 */
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ExportProfile } from "../config/mod.ts";
import { ENTITIES, IMPORT_ORDER, type EntityName } from "../model/entities.ts";
import { readChanges } from "../store/changes.ts";
import { recordKey, recordRange } from "../store/keys.ts";
import type { Store } from "../store/mod.ts";
import { decodeBody, decodeRecord, type StoredRecord } from "../store/record.ts";
import { AtomicFile, csvLine, csvStyle, fillPattern, freeName, type Tokens } from "./_file.ts";

const VERSION_12_ONLY: readonly EntityName[] = ["roles", "userProfiles"];

interface Row {
  sourcedId: string;
  record: StoredRecord;
}

/** The rows of one entity: every active record, or the latest change of each record changed in the range. */
function* rowsOf(store: Store, tenant: string, entity: EntityName, delta: { after: number; upTo: number } | undefined): Generator<Row> {
  if (!delta) {
    const range = recordRange(tenant, entity);
    for (const { key, value } of store.records.getRange(range)) {
      const record = decodeRecord(value);
      if (record.status === "active") yield { sourcedId: (key as string).slice(range.start.length), record };
    }
    return;
  }
  for (const c of readChanges(store, tenant, delta.after)) {
    if (c.seq > delta.upTo) break;
    if (c.entity !== entity) continue;
    const bytes = store.records.getBinary(recordKey(tenant, entity, c.sourcedId));
    const record = bytes ? decodeRecord(bytes) : undefined;
    if (record && record.seq === c.seq) yield { sourcedId: c.sourcedId, record };
  }
}

/**
 * Writes the bundle folder; returns what it wrote (no folder when a delta finds nothing).
 *
 * @example exportOneRoster(store, "strata", "/data/tenants/strata/exports", profile, tokens)
 */
export function exportOneRoster(store: Store, tenant: string, folder: string, p: ExportProfile, tokens: Tokens, delta?: { after: number; upTo: number }): { file: string | null; rows: number; skipped: number; bytes: number } {
  const name = freeName(folder, fillPattern(p.file?.name ?? `${p.name}_{YYYY}{MM}{DD}`, tokens), "");
  const final = join(folder, name);
  const temp = join(folder, `.${name}.${process.pid}.tmp`);
  mkdirSync(temp, { recursive: true });
  const style = { ...csvStyle(p.file), eol: p.file?.line_ending === "crlf" ? "\r\n" : "\n" };
  let rows = 0;
  let bytes = 0;
  const present: EntityName[] = [];
  try {
    for (const entity of IMPORT_ORDER) {
      // Extension fields (columns the SIS sent that OneRoster does not name) become columns too: one pass to find them.
      const extra = new Set<string>();
      let any = false;
      for (const { record } of rowsOf(store, tenant, entity, delta)) {
        any = true;
        for (const k of Object.keys(decodeBody(record.body))) extra.add(k);
      }
      if (!any) continue;
      present.push(entity);
      const known = ["sourcedId", "status", "dateLastModified", ...ENTITIES[entity].fields.map((f) => f.name)];
      for (const k of known) extra.delete(k);
      const columns = [...known, ...[...extra].sort()];
      const out = new AtomicFile(join(temp, ENTITIES[entity].file));
      try {
        out.write(csvLine(columns, style));
        for (const { sourcedId, record } of rowsOf(store, tenant, entity, delta)) {
          const f = decodeBody(record.body);
          f.sourcedId = sourcedId;
          f.status = delta ? record.status : "";
          out.write(csvLine(columns.map((c) => f[c] ?? ""), style));
          rows++;
        }
        out.commit();
        bytes += out.bytes;
      } catch (err) {
        out.abort();
        throw err;
      }
    }
    if (delta && rows === 0) {
      rmSync(temp, { recursive: true, force: true });
      return { file: null, rows, skipped: 0, bytes };
    }
    const version = present.some((e) => VERSION_12_ONLY.includes(e)) ? "1.2" : "1.1";
    const manifest = new AtomicFile(join(temp, "manifest.csv"));
    manifest.write(csvLine(["propertyName", "value"], style) + csvLine(["manifest.version", "1.0"], style) + csvLine(["oneroster.version", version], style));
    for (const e of IMPORT_ORDER) {
      if (version === "1.1" && VERSION_12_ONLY.includes(e)) continue;
      manifest.write(csvLine([`file.${e}`, present.includes(e) ? (delta ? "delta" : "bulk") : "absent"], style));
    }
    manifest.write(csvLine(["source.systemName", "rosterbox"], style));
    manifest.commit();
    renameSync(temp, final);
    return { file: final, rows, skipped: 0, bytes };
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}
