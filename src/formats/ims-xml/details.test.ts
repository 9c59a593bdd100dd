/**
 * Finer points of the IMS mapping: line numbers, name splitting, vocabulary
 * overrides, and enrollments that cannot be imported.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import type { SourceEvent, SourceIssue, SourceRow } from "../types.ts";
import { type ImsOptions, readImsXml } from "./mod.ts";

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

async function eventsOf(text: string, size = text.length || 1, options: Partial<ImsOptions> = {}): Promise<SourceEvent[]> {
  const events: SourceEvent[] = [];
  for await (const batch of readImsXml(chunked(text, size), { file: "strata.xml", ...options })) events.push(...batch);
  return events;
}

const rows = (events: SourceEvent[], entity?: string) =>
  events.filter((e): e is SourceRow => e.kind === "row" && (entity === undefined || e.entity === entity));
const issues = (events: SourceEvent[]) => events.filter((e): e is SourceIssue => e.kind === "issue");
const wrap = (body: string) => `<?xml version="1.0"?>\n<enterprise>\n${body}\n</enterprise>\n`;

describe("readImsXml: lines", () => {
  it("counts CRLF line ends and start tags whose name ends the line", async () => {
    const text = wrap(`<person\n  recstatus="2"><sourcedid><id>A</id></sourcedid><institutionrole institutionroletype="Staff"/></person>
<person><sourcedid><id>B</id></sourcedid><institutionrole institutionroletype="Administrator"/></person>`).replace(/\n/g, "\r\n");
    for (const size of [1, 3, 1000]) {
      const users = rows(await eventsOf(text, size), "users");
      expect(users.map((r) => [r.line, r.fields.role])).toEqual([
        [3, "teacher"],
        [5, "administrator"],
      ]);
    }
  });

  it("accepts namespace prefixes on element names", async () => {
    const text = `<ims:enterprise xmlns:ims="urn:x"><ims:person><ims:sourcedid><ims:id>N1</ims:id></ims:sourcedid>
      <ims:institutionrole institutionroletype="Student"/></ims:person></ims:enterprise>`;
    expect(rows(await eventsOf(text), "users").map((r) => r.fields.sourcedId)).toEqual(["N1"]);
  });
});

describe("readImsXml: vocabulary and details", () => {
  it("splits a formatted name when <n> is missing", async () => {
    const person = (id: string, fn: string) =>
      `<person><sourcedid><id>${id}</id></sourcedid><name><fn>${fn}</fn></name><institutionrole institutionroletype="Student"/></person>`;
    const text = wrap([person("1", "Jan van der Berg"), person("2", "Curie,  Marie"), person("3", "Prince")].join("\n"));
    expect(rows(await eventsOf(text), "users").map((r) => [r.fields.givenName, r.fields.familyName])).toEqual([
      ["Jan", "van der Berg"],
      ["Marie", "Curie"],
      ["", "Prince"],
    ]);
  });

  it("warns on an unknown institution role and a bad birthday, keeping the row", async () => {
    const text = wrap(`<person><sourcedid><id>G1</id></sourcedid><demographics><gender>x</gender><bday>12/10/2010</bday></demographics>
      <institutionrole institutionroletype="Guest"/></person>`);
    const events = await eventsOf(text);
    expect(rows(events, "users")[0].fields.role).toBe("student");
    expect(rows(events, "demographics")[0].fields).toEqual({ sourcedId: "G1", status: "", birthDate: "", sex: "" });
    expect(issues(events).map((i) => [i.severity, i.entity, i.sourcedId])).toEqual([
      ["WARNING", "users", "G1"],
      ["WARNING", "demographics", "G1"],
      ["WARNING", "demographics", "G1"],
    ]);
  });

  it("honours groupTypes and roleTypes overrides, and warns once per unknown typevalue", async () => {
    const group = (id: string, type: string, parent = "") =>
      `<group><sourcedid><id>${id}</id></sourcedid><grouptype><typevalue>${type}</typevalue></grouptype>
       <description><short>${id}</short></description>${parent && `<relationship relation="1"><sourcedid><id>${parent}</id></sourcedid></relationship>`}</group>`;
    const text = wrap(
      [
        group("D1", "District"),
        group("C1", "Campus", "D1"),
        group("X1", "Homeroom", "C1"),
        group("X2", "homeroom"),
        `<membership><sourcedid><id>X1</id></sourcedid><member><sourcedid><id>P1</id></sourcedid><idtype>1</idtype>
          <role roletype="09"/><role roletype="01"/></member></membership>`,
      ].join("\n"),
    );
    const events = await eventsOf(text, undefined, { groupTypes: { CAMPUS: "orgs" }, roleTypes: { "9": "guardian" } });
    expect(rows(events, "orgs").map((r) => [r.fields.sourcedId, r.fields.type, r.fields.parentSourcedId])).toEqual([
      ["D1", "district", ""],
      ["C1", "school", "D1"],
    ]);
    // A class whose parent is a known org has no course, which OneRoster requires: rejected, saying so (see "a section under a school" below).
    expect(rows(events, "classes").map((r) => [r.fields.sourcedId, r.fields.courseSourcedId, r.fields.schoolSourcedId])).toEqual([["X2", "", ""]]);
    expect(issues(events).filter((i) => i.severity === "ERROR").map((i) => [i.entity, i.sourcedId])).toEqual([["classes", "X1"]]);
    expect(rows(events, "enrollments").map((r) => [r.fields.sourcedId, r.fields.role, r.fields.schoolSourcedId])).toEqual([
      ["X1-P1-09", "guardian", "C1"],
      ["X1-P1-01", "student", "C1"],
    ]);
    const typeWarnings = issues(events).filter((i) => i.message.includes("typevalue"));
    expect(typeWarnings).toHaveLength(1);
    expect(typeWarnings[0]).toMatchObject({ severity: "WARNING", sourcedId: "X1", message: expect.stringContaining('"Homeroom"') });
  });

  it("a section under a school, not a course: one ERROR saying to relate it to its course; a delete still goes through", async () => {
    const text = wrap(`<group><sourcedid><id>SCH1</id></sourcedid><grouptype><typevalue level="1">School</typevalue></grouptype><description><short>One</short></description></group>
<group><sourcedid><id>CRS1</id></sourcedid><grouptype><typevalue level="2">Course</typevalue></grouptype><description><short>M</short></description><relationship relation="1"><sourcedid><id>SCH1</id></sourcedid></relationship></group>
<group><sourcedid><id>SEC1</id></sourcedid><grouptype><typevalue level="3">Section</typevalue></grouptype><description><short>M-1</short></description><relationship relation="1"><sourcedid><id>CRS1</id></sourcedid></relationship></group>
<group><sourcedid><id>SEC2</id></sourcedid><grouptype><typevalue level="3">Section</typevalue></grouptype><description><short>HR</short></description><relationship relation="1"><sourcedid><id>SCH1</id></sourcedid></relationship></group>
<group recstatus="3"><sourcedid><id>SEC3</id></sourcedid><grouptype><typevalue level="3">Section</typevalue></grouptype><relationship relation="1"><sourcedid><id>SCH1</id></sourcedid></relationship></group>`);
    const events = await eventsOf(text);
    expect(rows(events, "classes").map((r) => [r.fields.sourcedId, r.fields.courseSourcedId, r.fields.schoolSourcedId, r.op])).toEqual([
      ["SEC1", "CRS1", "SCH1", "upsert"],
      ["SEC3", "", "SCH1", "delete"],
    ]);
    const errors = issues(events).filter((i) => i.severity === "ERROR");
    expect(errors).toEqual([
      expect.objectContaining({ line: 6, entity: "classes", sourcedId: "SEC2", message: expect.stringMatching(/^courseSourcedId: section "SEC2" has no course: .*"SCH1".*point it at the section's course group/) }),
    ]);
  });

  it("rejects enrollments with an unmapped or missing roletype and memberships without a group id", async () => {
    const text = wrap(`<membership><sourcedid><id>K1</id></sourcedid>
<member><sourcedid><id>P1</id></sourcedid><idtype>1</idtype><role roletype="42"/><role/></member>
<member><idtype>1</idtype><role roletype="01"/></member>
</membership>
<membership><member><sourcedid><id>P2</id></sourcedid><idtype>1</idtype><role roletype="01"/></member>
<member><sourcedid><id>P3</id></sourcedid><idtype>1</idtype><role roletype="01"/></member></membership>`);
    const events = await eventsOf(text);
    expect(rows(events)).toEqual([]);
    expect(issues(events).map((i) => [i.line, i.severity, i.sourcedId])).toEqual([
      [4, "ERROR", "K1-P1-42"],
      [4, "ERROR", "K1-P1"],
      [5, "ERROR", ""],
      [7, "ERROR", ""],
    ]);
  });
});
