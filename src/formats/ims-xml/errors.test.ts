/**
 * Hostile and broken input: DOCTYPE/entity attacks, malformed XML, wrong
 * roots, missing keys and oversized text are refused or reported, never
 * buffered without bound.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import { FileError, type SourceEvent, type SourceIssue, type SourceRow } from "../types.ts";
import { readImsXml } from "./mod.ts";

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

async function eventsOf(text: string, size = 4096): Promise<SourceEvent[]> {
  const events: SourceEvent[] = [];
  for await (const batch of readImsXml(chunked(text, size), { file: "bad.xml" })) events.push(...batch);
  return events;
}

/** The FileError a read ends with. */
async function failureOf(text: string, size = 4096): Promise<FileError> {
  try {
    await eventsOf(text, size);
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error("expected a FileError");
}

const rows = (events: SourceEvent[], entity: string) => events.filter((e): e is SourceRow => e.kind === "row" && e.entity === entity);
const issues = (events: SourceEvent[]) => events.filter((e): e is SourceIssue => e.kind === "issue");
const person = (id: string, extra = "") =>
  `<person><sourcedid><id>${id}</id></sourcedid>${extra}<institutionrole institutionroletype="Student"/></person>`;

describe("readImsXml: DOCTYPE and entities", () => {
  it("refuses a DOCTYPE, naming the line it starts on", async () => {
    const error = await failureOf(`<?xml version="1.0"?>\n<!DOCTYPE enterprise\n  SYSTEM "ims.dtd">\n<enterprise/>`);
    expect(error.file).toBe("bad.xml");
    expect(error.line).toBe(2);
    expect(error.message).toContain("DOCTYPE/entity declarations are not allowed (XXE protection)");
  });

  it("refuses billion laughs before expanding anything", async () => {
    const lol = [`<!ENTITY lol "lol">`];
    for (let i = 1; i <= 9; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? "" : i - 1};`.repeat(10)}">`);
    const text = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n${lol.join("\n")}\n]>\n<enterprise>${person("&lol9;")}</enterprise>`;
    for (const size of [1, 7, 4096]) {
      const error = await failureOf(text, size);
      expect(error.line).toBe(2);
      expect(error.message).toContain("XXE protection");
    }
  });

  it("refuses an external entity", async () => {
    const text = `<!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><enterprise>${person("&xxe;")}</enterprise>`;
    expect((await failureOf(text)).message).toContain("XXE protection");
  });

  it("refuses an undeclared entity, naming its line", async () => {
    const error = await failureOf(`<enterprise>\n${person("A")}\n<person><sourcedid><id>&nbsp;</id></sourcedid></person>\n</enterprise>`);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/XXE protection.*undefined entity/);
  });

  it("still decodes the predefined and numeric entities", async () => {
    const events = await eventsOf(`<enterprise>${person("a&amp;b&#x41;&#66;&lt;")}</enterprise>`);
    expect(rows(events, "users")[0].fields.sourcedId).toBe("a&bAB<");
  });
});

describe("readImsXml: broken documents", () => {
  it("names line and column of a well-formedness error", async () => {
    const error = await failureOf(`<enterprise>\n${person("A")}\n  <person><sourcedid></person>\n</enterprise>`);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^bad\.xml line 3: not well-formed XML at line 3, column \d+: unexpected close tag/);
  });

  it("reports a truncated file at its end", async () => {
    const error = await failureOf(`<enterprise>\n${person("A")}\n<person>`);
    expect(error.message).toMatch(/not well-formed XML at line 3, column \d+: unclosed tag/);
  });

  it("refuses a document whose root is not <enterprise>", async () => {
    const error = await failureOf(`<?xml version="1.0"?>\n\n<oneroster>${person("A")}</oneroster>`);
    expect(error.line).toBe(3);
    expect(error.message).toContain("root element must be <enterprise>, found <oneroster>");
  });

  it("refuses an empty document", async () => {
    expect((await failureOf("")).message).toContain("not well-formed XML");
  });
});

describe("readImsXml: record problems are issues, not failures", () => {
  it("reports a person without sourcedid/id and keeps going", async () => {
    const text = `<enterprise>\n<person><userid>nobody</userid></person>\n${person("B")}\n</enterprise>`;
    const events = await eventsOf(text);
    expect(issues(events)).toEqual([
      { kind: "issue", file: "bad.xml", line: 2, entity: "users", sourcedId: "", severity: "ERROR", message: expect.stringContaining("no <sourcedid><id>") },
    ]);
    expect(rows(events, "users").map((r) => r.fields.sourcedId)).toEqual(["B"]);
  });

  it("reports a group without sourcedid/id under the entity its type names", async () => {
    const text = `<enterprise><group><grouptype><typevalue>Course</typevalue></grouptype></group></enterprise>`;
    expect(issues(await eventsOf(text))).toMatchObject([{ severity: "ERROR", entity: "courses", sourcedId: "" }]);
  });

  it("bounds the text of one element and skips only that record", async () => {
    const huge = "x".repeat(200 * 1024);
    const text = `<enterprise>\n${person("A", `<email>${huge}</email>`)}\n${person("B")}\n</enterprise>`;
    for (const size of [4096, 1_000_000]) {
      const events = await eventsOf(text, size);
      expect(issues(events)).toEqual([
        { kind: "issue", file: "bad.xml", line: 2, entity: "users", sourcedId: "A", severity: "ERROR", message: expect.stringContaining("<email>") },
      ]);
      expect(issues(events)[0].message).toContain("64 KiB");
      expect(rows(events, "users").map((r) => r.fields.sourcedId)).toEqual(["B"]);
    }
  });

  it("bounds the number of elements in one record", async () => {
    const text = `<enterprise>\n${person("A", "<tel>1</tel>".repeat(5000))}\n${person("B")}\n</enterprise>`;
    const events = await eventsOf(text);
    expect(issues(events)).toMatchObject([{ line: 2, severity: "ERROR", sourcedId: "A", message: expect.stringContaining("elements") }]);
    expect(rows(events, "users").map((r) => r.fields.sourcedId)).toEqual(["B"]);
  });

  it("does not collect vendor <extension> payloads", async () => {
    const payload = `<blob>${"y".repeat(100 * 1024)}</blob>`;
    const events = await eventsOf(`<enterprise>${person("A", `<extension>${payload}</extension>`)}</enterprise>`);
    expect(issues(events)).toEqual([]);
    expect(rows(events, "users")).toHaveLength(1);
  });

  it("refuses a single token too large to buffer", async () => {
    const text = `<enterprise>\n${person("A", `<email>${"z".repeat(3 * 1024 * 1024)}</email>`)}\n</enterprise>`;
    const error = await failureOf(text, 64 * 1024);
    expect(error.line).toBe(2);
    expect(error.message).toContain("refusing to buffer");
  });
});
