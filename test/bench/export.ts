/**
 * Export speed: a store holding N users (1 M by default, written straight
 * into LMDB), exported by `rosterbox export run` as a separate process with
 * 10 mapped fields (codes, a transform, a join to the user's school), at 100 k
 * and at N users so that memory can be seen not to grow with the file.
 * Python's csv.reader parsing the file written is the machine anchor.
 *
 * `node --import tsx test/bench/export.ts`; part of `npm run bench`.
 * `BENCH_EXPORT_USERS` changes N.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { recordKey, seqKey } from "../../src/store/keys.ts";
import { openStore } from "../../src/store/mod.ts";
import { encodeBody, encodeRecord } from "../../src/store/record.ts";
import { runMeasured } from "./_proc.ts";
import { pythonAnchor } from "./import.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// BENCH_CLI=dist/rosterbox measures the single binary (no TypeScript loader at start-up).
const CLI = process.env.BENCH_CLI ? join(ROOT, process.env.BENCH_CLI) : join(ROOT, "bin", "rosterbox.mjs");

export interface ExportFigure {
  users: number;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  /** The export job's own time (started → finished), without process start-up. */
  jobSeconds: number;
  mb: number;
  peakRssAnonMB: number;
  pythonRowsPerSec: number;
}

const GIVEN = ["Ada", "Alan", "Grace", "Emmy", "Omar", "Sophia", "Liam", "Noah", "Mia", "Zoe"];
const FAMILY = ["Lovelace", "Turing", "Hopper", "Noether", "Kowalski", "Rodriguez", "Nguyen", "Okafor"];

/** Writes `users` users (and 200 schools) straight into a store, as an import would leave them. */
export async function fill(dataDir: string, users: number): Promise<void> {
  const store = openStore(dataDir);
  let seq = 0;
  const now = Date.now();
  const put = (entity: string, id: string, fields: Record<string, string>) =>
    store.records.putSync(recordKey("district", entity, id), encodeRecord({ seq: ++seq, job: "bench", modifiedAt: now, status: "active", body: encodeBody(entity, { sourcedId: id, ...fields }) }));
  store.env.transactionSync(() => {
    for (let s = 0; s < 200; s++) put("orgs", `school-${s}`, { name: `School ${s}`, type: "school", identifier: `S${s}` });
  });
  for (let i = 0; i < users; i += 20_000) {
    store.env.transactionSync(() => {
      for (let k = i; k < Math.min(users, i + 20_000); k++) {
        const id = `u-${k.toString(36).padStart(6, "0")}`;
        put("users", id, {
          enabledUser: "true", orgSourcedIds: `school-${k % 200}`, role: k % 20 === 0 ? "teacher" : "student", username: `user${k}`,
          givenName: GIVEN[k % GIVEN.length]!, familyName: FAMILY[k % FAMILY.length]!, identifier: String(1_000_000 + k),
          email: `user${k}@students.bench-usd.org`, grades: String((k % 12) + 1).padStart(2, "0"),
        });
      }
    });
  }
  store.meta.putSync(seqKey("district"), seq);
  // Closed (and flushed) before the export starts, so that it does not share the disk with our writes.
  await store.close();
}

export const CONFIG = (dataDir: string) => `data_dir: ${dataDir}
tenants:
  - id: district
    exports:
      - name: accounts
        entity: users
        file: { name: "accounts", extension: csv }
        fields:
          - { from: sourcedId, to: "User ID" }
          - { from: identifier, to: "Student Number" }
          - { from: username, to: Login }
          - { from: givenName, to: First }
          - { from: familyName, to: Last, transform: upper }
          - { from: email, to: Email }
          - { from: role, to: Type, codes: { student: S, teacher: T }, default: O }
          - { from: grades, to: Grade, transform: "pad:3:0" }
          - { from: enabledUser, to: Active, codes: { "true": Y, "false": N } }
          - { from: org.name, to: School }
`;

async function one(base: string, users: number): Promise<ExportFigure> {
  const dataDir = join(base, `d${users}`);
  await fill(dataDir, users);
  // The fill's dirty pages reach the disk first: the export's own fsync must not wait behind them.
  spawnSync("sync");
  const config = join(base, `c${users}.yaml`);
  writeFileSync(config, CONFIG(dataDir));
  const [command, ...prefix] = CLI.endsWith(".mjs") ? [process.execPath, CLI] : [CLI];
  const m = await runMeasured(command!, [...prefix, "export", "run", "--config", config, "district", "accounts"]);
  if (m.code !== 0) throw new Error(`export run failed (exit ${m.code}): ${m.stderr}\n${m.stdout}`);
  const out = JSON.parse(m.stdout) as { rows: number; file: string; seconds: number };
  if (out.rows !== users) throw new Error(`export wrote ${out.rows} rows, expected ${users}`);
  const file = join(dataDir, "tenants", "district", out.file);
  const py = await pythonAnchor([file]);
  return { users, rows: out.rows, seconds: m.seconds, rowsPerSec: out.rows / m.seconds, jobSeconds: out.seconds, mb: statSync(file).size / 1e6, peakRssAnonMB: m.peakRssAnonMB, pythonRowsPerSec: py.rowsPerSec };
}

/** Runs the export benchmark at 100 k users and at `users`. */
export async function benchExport(users = Number(process.env.BENCH_EXPORT_USERS ?? 1_000_000)): Promise<ExportFigure[]> {
  mkdirSync(join(ROOT, "bench-data"), { recursive: true });
  const base = mkdtempSync(join(ROOT, "bench-data", "export-"));
  try {
    const sizes = users > 100_000 ? [100_000, users] : [users];
    const out: ExportFigure[] = [];
    for (const n of sizes) out.push(await one(base, n));
    return out;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export function exportMarkdown(figures: ExportFigure[]): string {
  return [
    "| export, 10 mapped fields (codes, transforms, a join) | rows | MB written | export job s | export rows/s | whole process s (with start-up) | whole process rows/s | peak RssAnon MiB | Python csv.reader of the file, rows/s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...figures.map((f) => `| ${f.users.toLocaleString("en-US")} users | ${f.rows.toLocaleString("en-US")} | ${f.mb.toFixed(0)} | ${f.jobSeconds.toFixed(2)} | ${Math.round(f.rows / f.jobSeconds / 1000)} k | ${f.seconds.toFixed(2)} | ${Math.round(f.rowsPerSec / 1000)} k | ${f.peakRssAnonMB.toFixed(0)} | ${Math.round(f.pythonRowsPerSec / 1000)} k |`),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(exportMarkdown(await benchExport()));
}
