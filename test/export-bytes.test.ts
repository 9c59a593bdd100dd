/**
 * The byte path of a full export (src/exporter/_bytes.ts) against the
 * string path (_source.ts + csvLine), on a real LMDB store holding awkward
 * records: quotes, delimiters and line breaks in values, non-ASCII text,
 * blank and whitespace-only values (spaces, no-break spaces, a BOM), absent
 * fields, a field name that is another field's value, records to be
 * deleted, joins that find nothing, codes without a mapping (row errors).
 * For each CSV style and profile both must write the same bytes and skip the
 * same rows with the same messages.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ExportFile } from "../src/config/mod.ts";
import { planByteExport } from "../src/exporter/_bytes.ts";
import { AtomicFile, csvLine, csvStyle } from "../src/exporter/_file.ts";
import { forEachExportRecord } from "../src/exporter/_source.ts";
import { compileMapping, type FieldMapping } from "../src/mapping/mod.ts";
import { recordKey } from "../src/store/keys.ts";
import { openStore } from "../src/store/mod.ts";
import { encodeBody, encodeRecord } from "../src/store/record.ts";
import { tempDir } from "./_bundle.ts";

const dir = tempDir("rosterbox-export-bytes-");
const store = openStore(join(dir, "data"));
afterAll(() => store.close());

const ODD = ["plain", 'say "hi"', "a,b", "semi;colon", "tab\there", "line\r\nbreak", "lf\nonly", "Zoë Ñandú 日本", "  ", "\u00a0", "\ufeffbom", " padded ", "role", "", "|pipe|"];

store.env.transactionSync(() => {
  let seq = 0;
  const put = (entity: string, id: string, status: "active" | "tobedeleted", fields: Record<string, string>) =>
    store.records.putSync(recordKey("t", entity, id), encodeRecord({ seq: ++seq, job: "j", modifiedAt: 1, status, body: encodeBody(entity, { sourcedId: id, ...fields }) }));
  for (let s = 0; s < 4; s++) put("orgs", `org-${s}`, "active", { name: ODD[s * 3]!, type: "school", identifier: `S${s}` });
  put("demographics", "u-03", "active", { sex: "female", birthDate: "2010-02-03" });
  for (let k = 0; k < 120; k++) {
    const odd = (n: number) => ODD[(k + n) % ODD.length]!;
    put("users", `u-${String(k).padStart(2, "0")}`, k % 11 === 5 ? "tobedeleted" : "active", {
      enabledUser: k % 13 === 0 ? "maybe" : k % 2 ? "true" : "false",
      orgSourcedIds: k % 9 === 0 ? "" : k % 7 === 0 ? "org-missing" : `org-${k % 4},org-1`,
      role: k % 5 === 0 ? "teacher" : k % 17 === 0 ? " Student " : "student",
      username: odd(0), givenName: odd(3), familyName: odd(5), identifier: k % 4 ? String(1000 + k) : "",
      email: odd(8), grades: String(k % 12), middleName: odd(1),
    });
  }
});

const FIELDS: FieldMapping[] = [
  { from: "sourcedId", to: "id" },
  { from: "username", to: "login" },
  { from: "givenName", to: "first", transform: "trim" },
  { from: "familyName", to: "last", transform: "upper" },
  { from: "middleName", to: "middle" },
  { from: "email", to: "mail" },
  { from: "role", to: "type", codes: { student: "S", teacher: "T" } },
  { from: "enabledUser", to: "active", codes: { true: "Y", false: "N" } },
  { from: "grades", to: "grade", transform: "pad:3:0" },
  { from: "org.name", to: "school" },
  { from: "status", to: "state" },
  { from: "identifier", to: "number", transform: "const:x" },
  { to: "fixed", transform: "const:a,b" },
  { from: "sex", to: "sex", codes: { female: "F" }, default: "?" },
];

/** Both paths' output for one profile: the file's bytes and the rows skipped. */
function both(file: ExportFile | undefined, where: Record<string, string>, fields = FIELDS) {
  const mapping = compileMapping(fields, "fields");
  const style = csvStyle(file);
  const run = (name: string, write: (out: AtomicFile, skip: (id: string, e: string[]) => void) => void) => {
    const out = new AtomicFile(join(dir, `${name}-${Math.random()}.csv`));
    const skipped: string[] = [];
    write(out, (id, e) => void skipped.push(`${id}: ${e.join("; ")}`));
    out.commit();
    return { text: readFileSync(out.path), skipped };
  };
  const strings = run("strings", (out, skip) => {
    const line: string[] = new Array(mapping.targets.length);
    forEachExportRecord(store, "t", "users", mapping.sources, where, { kind: "all" }, (r) => {
      const errors = mapping.applyInto(r.values, line);
      if (errors) skip(r.sourcedId, errors);
      else out.write(csvLine(line, style));
    });
  });
  const plan = planByteExport(store, "t", "users", mapping, where, style);
  expect(plan).toBeDefined();
  const bytes = run("bytes", (out, skip) => plan!.run(out, skip));
  return { strings, bytes };
}

describe("the byte path of a full export", () => {
  const styles: [string, ExportFile | undefined][] = [
    ["defaults", undefined],
    ["quote_all", { quote_all: true }],
    ["no quote, lf", { quote: "", line_ending: "lf" }],
    ["semicolon, single quote", { delimiter: ";", quote: "'" }],
    ["tab", { delimiter: "\t" }],
    ["pipe, quote_all", { delimiter: "|", quote_all: true }],
  ];
  for (const [name, file] of styles) {
    it(`writes what the string path writes: ${name}`, () => {
      const { strings, bytes } = both(file, {});
      expect(strings.text.length).toBeGreaterThan(5000);
      expect(bytes.text.equals(strings.text)).toBe(true);
      // Rows with an unmapped code (enabledUser "maybe") are skipped by both, with the same messages.
      expect(strings.skipped.length).toBeGreaterThan(3);
      expect(bytes.skipped).toEqual(strings.skipped);
    });
  }

  it("filters as the string path does (own field, joined field, status)", () => {
    const wheres: Record<string, string>[] = [{ role: "teacher" }, { "org.name": "plain" }, { status: "tobedeleted" }, { identifier: "" }, { role: "nobody" }];
    for (const where of wheres) {
      const { strings, bytes } = both(undefined, where);
      expect(bytes.text.equals(strings.text)).toBe(true);
      expect(bytes.skipped).toEqual(strings.skipped);
    }
    expect(both(undefined, { status: "tobedeleted" }).bytes.text.toString()).toContain(",tobedeleted,");
  });

  it("leaves a concat: that reads other fields to the string path", () => {
    const mapping = compileMapping([{ to: "name", transform: "concat:{givenName} {familyName}" }], "fields");
    expect(planByteExport(store, "t", "users", mapping, {}, csvStyle(undefined))).toBeUndefined();
    expect(planByteExport(store, "t", "users", compileMapping(FIELDS, "fields"), {}, csvStyle({ delimiter: "€" }))).toBeUndefined();
  });
});
