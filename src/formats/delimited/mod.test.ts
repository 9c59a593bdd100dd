/**
 * Tests of the delimited adapter over the real CSV tokenizer: delimiters and
 * quote characters, mapping, header checks, row issues and blank handling.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import type { FieldMapping } from "../../mapping/mod.ts";
import { FileError, type SourceEvent, type SourceIssue, type SourceRow } from "../types.ts";
import { readDelimited, type DelimitedOptions } from "./mod.ts";

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

async function collect(text: string | string[], options: Partial<DelimitedOptions> = {}): Promise<SourceEvent[][]> {
  const parts = typeof text === "string" ? [text] : text;
  const batches: SourceEvent[][] = [];
  for await (const batch of readDelimited(chunks(...parts), { file: "accounts.txt", entity: "users", fields: USERS, ...options })) {
    batches.push(batch);
  }
  return batches;
}

async function events(text: string | string[], options: Partial<DelimitedOptions> = {}): Promise<SourceEvent[]> {
  return (await collect(text, options)).flat();
}

async function fileError(text: string | string[], options: Partial<DelimitedOptions> = {}): Promise<FileError> {
  try {
    await collect(text, options);
  } catch (err) {
    expect(err).toBeInstanceOf(FileError);
    return err as FileError;
  }
  throw new Error("expected a FileError");
}

const rows = (all: SourceEvent[]): SourceRow[] => all.filter((e): e is SourceRow => e.kind === "row");
const issues = (all: SourceEvent[]): SourceIssue[] => all.filter((e): e is SourceIssue => e.kind === "issue");

const USERS: FieldMapping[] = [
  { from: "Student Number", to: "sourcedId", transform: "pad:6:0" },
  { from: "First", to: "givenName" },
  { from: "Last", to: "familyName", transform: "trim|upper" },
  { from: "Gender", to: "sex", codes: { M: "male", F: "female" } },
  { from: "Birth Date", to: "birthDate", transform: "date:YYYY-MM-DD" },
  { from: "Middle", to: "middleName", blank: "clear" },
  { from: "Nickname", omit: true },
  { to: "role", transform: "const:student" },
  { to: "email", transform: "concat:{Student Number}@school.example" },
];

const HEADER = ["Student Number", "First", "Last", "Gender", "Birth Date", "Middle"];

function file(delimiter: string, quote: string, lines: string[][]): string {
  const cell = (v: string): string =>
    v.includes(delimiter) || v.includes(quote) || v.includes("\n") ? quote + v.split(quote).join(quote + quote) + quote : v;
  return lines.map((line) => line.map(cell).join(delimiter)).join("\r\n") + "\r\n";
}

describe("readDelimited", () => {
  it("maps a comma file: codes, transforms, const, concat, line numbers", async () => {
    const text = file(",", '"', [
      HEADER,
      ["42", "Ada", " lovelace ", "F", "12/10/2008", "Byron"],
      ["7", "Charles", "Babbage", "m", "2009-12-26", ""],
    ]);
    const all = await events(text);
    expect(all[0]).toEqual({ kind: "file", file: "accounts.txt", entity: "users", mode: "delta" });
    expect(all.slice(1)).toEqual([
      {
        kind: "row",
        file: "accounts.txt",
        line: 2,
        entity: "users",
        fields: {
          sourcedId: "000042",
          givenName: "Ada",
          familyName: "LOVELACE",
          sex: "female",
          birthDate: "2008-12-10",
          middleName: "Byron",
          role: "student",
          email: "42@school.example",
        },
      },
      {
        kind: "row",
        file: "accounts.txt",
        line: 3,
        entity: "users",
        fields: {
          sourcedId: "000007",
          givenName: "Charles",
          familyName: "BABBAGE",
          sex: "male",
          birthDate: "2009-12-26",
          middleName: "",
          role: "student",
          email: "7@school.example",
        },
      },
    ]);
  });

  const dialects: Array<[string, string, string]> = [
    ["comma", ",", "'"],
    ["tab", "\t", "'"],
    ["pipe", "|", "~"],
    ["semicolon", ";", "'"],
  ];
  for (const [name, delimiter, quote] of dialects) {
    it(`reads a ${name}-delimited file with ${quote} as the quote`, async () => {
      const text = file(delimiter, quote, [
        HEADER,
        ["1", `Ann${delimiter}Marie`, `O${quote}Neil`, "F", "2010-01-02", ""],
        ["2", "Bo", "Li", "M", "1/2/2010", `x${delimiter}y`],
      ]);
      expect(text).toContain(quote + quote); // the escaped quote really is in the file
      const all = await events(text, { delimiter, quote, mode: "bulk" });
      expect(all[0]).toEqual({ kind: "file", file: "accounts.txt", entity: "users", mode: "bulk" });
      expect(issues(all)).toEqual([]);
      const got = rows(all);
      expect(got.map((r) => [r.line, r.fields.sourcedId, r.fields.givenName, r.fields.familyName, r.fields.middleName])).toEqual([
        [2, "000001", `Ann${delimiter}Marie`, `O${quote}NEIL`, ""],
        [3, "000002", "Bo", "LI", `x${delimiter}y`],
      ]);
      expect(got[1].fields.birthDate).toBe("2010-01-02");
    });
  }

  it("matches header names ignoring case and surrounding spaces, and ignores unmapped columns", async () => {
    const text = "\uFEFF  student NUMBER ,extra,first,LAST,gender,birth date,middle,nickname\n5,x,Ann,Lee,F,,,Annie\n";
    const got = rows(await events(text));
    expect(got).toHaveLength(1);
    expect(got[0].fields).toMatchObject({ sourcedId: "000005", givenName: "Ann", familyName: "LEE", birthDate: "" });
  });

  it("reports a value without a code mapping, and a bad date, as row issues", async () => {
    const text = file(",", '"', [HEADER, ["1", "A", "B", "Q", "2010-01-01", ""], ["2", "C", "D", "M", "31/31/2010", ""], ["3", "E", "F", "F", "", ""]]);
    const all = await events(text);
    expect(issues(all)).toEqual([
      {
        kind: "issue",
        file: "accounts.txt",
        line: 2,
        entity: "users",
        sourcedId: "000001",
        severity: "ERROR",
        message: 'Gender: value "Q" has no code mapping; add it to codes or set default',
      },
      expect.objectContaining({ line: 3, sourcedId: "000002", message: expect.stringMatching(/^Birth Date: value "31\/31\/2010" is not a date/) }),
    ]);
    expect(rows(all).map((r) => r.line)).toEqual([4]);
  });

  it("gives one issue per row, however many of its values fail: the importer counts each ERROR issue as a row", async () => {
    const fields: FieldMapping[] = [
      { from: "id", to: "sourcedId" },
      { from: "sex", to: "sex", codes: { M: "male", F: "female" } },
      { from: "role", to: "role", codes: { S: "student", T: "teacher" } },
    ];
    const all = await events("id,sex,role\n1,Q,X\n2,F,S\n", { fields });
    expect(issues(all).map((i) => [i.line, i.sourcedId, i.severity, i.message])).toEqual([
      [2, "1", "ERROR", 'sex: value "Q" has no code mapping; add it to codes or set default; role: value "X" has no code mapping; add it to codes or set default'],
    ]);
    expect(rows(all).map((r) => r.line)).toEqual([3]);
  });

  it("reports wrong field counts with the line and goes on", async () => {
    const text = [HEADER.join(","), "1,A,B,F,2010-01-01", "2,A,B,F,2010-01-01,,extra", "3,A,B,F,2010-01-01,", ""].join("\n");
    const all = await events(text);
    expect(issues(all).map((i) => [i.line, i.sourcedId, i.severity, i.message])).toEqual([
      [2, "000001", "ERROR", "expected 6 fields, found 5"],
      [3, "000002", "ERROR", "expected 6 fields, found 7"],
    ]);
    expect(rows(all).map((r) => r.line)).toEqual([4]);
  });

  it("ignores blank lines", async () => {
    const text = `${HEADER.join(",")}\n1,A,B,F,,\n\n2,A,B,F,,\n\n`;
    const all = await events(text);
    expect(issues(all)).toEqual([]);
    expect(rows(all).map((r) => r.fields.sourcedId)).toEqual(["000001", "000002"]);
  });

  it("reports a record the tokenizer cannot read as a row issue", async () => {
    const text = `${HEADER.join(",")}\n1,A,B,F,,\n2,A"x"y,B,F,,\n3,A,B,F,,\n`;
    const all = await events(text);
    expect(issues(all)).toEqual([
      expect.objectContaining({ line: 3, sourcedId: "", severity: "ERROR", message: expect.stringMatching(/quote inside an unquoted field/) }),
    ]);
    expect(rows(all).map((r) => r.fields.sourcedId)).toEqual(["000001", "000003"]);
  });

  describe("blank keep / clear", () => {
    it("lists kept fields whose source is blank; clear and filled fields are not listed", async () => {
      const text = file(",", '"', [HEADER, ["1", "", "B", "", "", ""], ["2", "A", "B", "F", "2010-01-01", "M"]]);
      const [first, second] = rows(await events(text));
      expect(first.fields).toMatchObject({ givenName: "", sex: "", birthDate: "", middleName: "", role: "student" });
      expect(first.keepBlank).toEqual(["givenName", "sex", "birthDate"]);
      expect(second).not.toHaveProperty("keepBlank");
    });

    it("treats a whitespace-only value as blank", async () => {
      const text = file(",", '"', [HEADER, ["1", "  ", "B", "F", "", "  "]]);
      const [row] = rows(await events(text));
      expect(row.fields.givenName).toBe("");
      expect(row.fields.middleName).toBe("");
      expect(row.keepBlank).toEqual(["givenName", "birthDate"]);
    });

    it("keeps every blank field when nothing says clear", async () => {
      const fields: FieldMapping[] = [{ from: "id", to: "sourcedId" }, { from: "email", to: "email", blank: "keep" }];
      const [row] = rows(await events("id,email\n1,\n", { fields }));
      expect(row).toEqual({ kind: "row", file: "accounts.txt", line: 2, entity: "users", fields: { sourcedId: "1", email: "" }, keepBlank: ["email"] });
    });
  });

  describe("batches", () => {
    it("opens the first batch with the FileStart and yields no empty batch", async () => {
      const body = Array.from({ length: 500 }, (_, i) => `${i + 1},A,B,F,,`).join("\n");
      const text = `${HEADER.join(",")}\n${body}\n`;
      const parts: string[] = [];
      for (let i = 0; i < text.length; i += 97) parts.push(text.slice(i, i + 97));
      const batches = await collect(parts);
      expect(batches[0][0]).toEqual({ kind: "file", file: "accounts.txt", entity: "users", mode: "delta" });
      expect(batches.every((b) => b.length > 0)).toBe(true);
      const all = batches.flat();
      expect(all.filter((e) => e.kind === "file")).toHaveLength(1);
      expect(rows(all).map((r) => r.line)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
    });

    it("yields only the FileStart for a header-only file", async () => {
      expect(await collect(`${HEADER.join(",")}\n`, { mode: "bulk" })).toEqual([
        [{ kind: "file", file: "accounts.txt", entity: "users", mode: "bulk" }],
      ]);
    });
  });

  describe("file errors", () => {
    it("names a mapped column missing from the header and lists what was found", async () => {
      const err = await fileError("Student Number,First,Last,Gender,Middle\n1,A,B,F,\n");
      expect(err.line).toBe(1);
      expect(err.message).toBe(
        'accounts.txt line 1: column "Birth Date" named by the mapping is not in the header (found: Student Number, First, Last, Gender, Middle)',
      );
    });

    it("names every missing column, including concat placeholders", async () => {
      const fields: FieldMapping[] = [{ from: "id", to: "sourcedId" }, { from: "a", to: "x" }, { to: "y", transform: "concat:{b}-{id}" }];
      const err = await fileError("id;c\n1;2\n", { fields, delimiter: ";" });
      expect(err.message).toBe('accounts.txt line 1: columns "a", "b" named by the mapping are not in the header (found: id, c)');
    });

    it("refuses a mapped column that appears twice in the header", async () => {
      const err = await fileError("id,name,ID\n1,a,2\n", { fields: [{ from: "id", to: "sourcedId" }] });
      expect(err.line).toBe(1);
      expect(err.message).toMatch(/column "id" named by the mapping appears more than once/);
    });

    it("refuses a mapping without sourcedId at line 1, before reading", async () => {
      const err = await fileError("First\nAda\n", { fields: [{ from: "First", to: "givenName" }] });
      expect(err.line).toBe(1);
      expect(err.message).toMatch(/no field is mapped to sourcedId/);
    });

    it("turns a bad mapping into a FileError naming the key", async () => {
      const err = await fileError("id\n1\n", { fields: [{ from: "id", to: "sourcedId", transform: "shout" }] });
      expect(err.message).toMatch(/^accounts\.txt: the feed's mapping is wrong: fields\[0\]\.transform: unknown transform "shout"/);
    });

    it("refuses an empty file", async () => {
      const err = await fileError("");
      expect(err.message).toMatch(/the file is empty; expected a header row/);
      expect(await fileError([]).then((e) => e.message)).toMatch(/empty/);
    });

    it("refuses a file whose first row is blank", async () => {
      const err = await fileError(",,\n1,2,3\n");
      expect(err.line).toBe(1);
      expect(err.message).toMatch(/expected a header row naming the columns/);
    });

    it("refuses a header the tokenizer cannot read", async () => {
      const err = await fileError('id,na"me\n1,2\n', { fields: [{ from: "id", to: "sourcedId" }] });
      expect(err.line).toBe(1);
      expect(err.message).toMatch(/^accounts\.txt line 1: the header row cannot be read: .*quote inside an unquoted field/);
    });

    it("lets an unterminated quote at the end of the file fail the file", async () => {
      const err = await fileError(`${HEADER.join(",")}\n1,"Ann,B,F,,\n`);
      expect(err.message).toMatch(/quote/i);
    });

    it("announces nothing when the header is rejected", async () => {
      const seen: SourceEvent[][] = [];
      await expect(async () => {
        for await (const batch of readDelimited(chunks("a,b\n1,2\n"), { file: "f.csv", entity: "users", fields: USERS })) seen.push(batch);
      }).rejects.toThrow(FileError);
      expect(seen).toEqual([]);
    });
  });
});
