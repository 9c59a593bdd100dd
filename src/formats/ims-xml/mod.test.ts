/**
 * Mapping of a realistic IMS Enterprise file to canonical rows, and stability
 * of the result whatever the chunking of the input.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import type { SourceEvent, SourceIssue, SourceRow } from "../types.ts";
import { type ImsOptions, readImsXml } from "./mod.ts";

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

async function batchesOf(text: string, size = text.length || 1, options: Partial<ImsOptions> = {}): Promise<SourceEvent[][]> {
  const batches: SourceEvent[][] = [];
  for await (const batch of readImsXml(chunked(text, size), { file: "strata.xml", ...options })) batches.push(batch);
  return batches;
}

async function eventsOf(text: string, size?: number, options?: Partial<ImsOptions>): Promise<SourceEvent[]> {
  return (await batchesOf(text, size, options)).flat();
}

const rows = (events: SourceEvent[], entity?: string) =>
  events.filter((e): e is SourceRow => e.kind === "row" && (entity === undefined || e.entity === entity));
const issues = (events: SourceEvent[]) => events.filter((e): e is SourceIssue => e.kind === "issue");
const wrap = (body: string) => `<?xml version="1.0"?>\n<enterprise>\n${body}\n</enterprise>\n`;

const SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<enterprise xmlns="http://www.imsglobal.org/xsd/imsep_rs_v1p1">
  <properties lang="en">
    <datasource>Strata SIS</datasource>
    <datetime>2026-11-24T02:00:00</datetime>
  </properties>
  <!-- people -->
  <person recstatus="1">
    <sourcedid><source>Strata</source><id>P1001</id></sourcedid>
    <userid password="hunter2">ada.lovelace</userid>
    <name>
      <fn>Ada Lovelace</fn>
      <n><family>Lovelace</family><given>Ada</given></n>
    </name>
    <demographics><gender>1</gender><bday>2010-12-10</bday></demographics>
    <email>ada@example.edu</email>
    <tel teltype="3">555-0100</tel>
    <tel teltype="1">555-0101</tel>
    <institutionrole primaryrole="Yes" institutionroletype="Student"/>
    <extension><anything>ignored &amp; skipped</anything></extension>
  </person>
  <person>
    <sourcedid><source>Strata</source><id>T2001</id></sourcedid>
    <userid>cbabbage</userid>
    <name><fn>Charles Babbage</fn></name>
    <demographics><gender>M</gender></demographics>
    <email>cb@example.edu</email>
    <institutionrole institutionroletype="Faculty"/>
  </person>
  <person recstatus="3">
    <sourcedid><id>P1002</id></sourcedid>
    <name><fn>Gone, Old</fn></name>
    <institutionrole institutionroletype="Alumni"/>
  </person>
  <group recstatus="1">
    <sourcedid><source>Strata</source><id>SCH1</id></sourcedid>
    <grouptype><scheme>Strata</scheme><typevalue level="1">School</typevalue></grouptype>
    <description><short>North High</short><long>North High School 🦉</long></description>
    <relationship relation="1"><sourcedid><id>DIST1</id></sourcedid><label>District</label></relationship>
  </group>
  <group>
    <sourcedid><id>TERM-F26</id></sourcedid>
    <grouptype><typevalue>Term</typevalue></grouptype>
    <description><short>Fall 2026</short></description>
    <timeframe><begin restrict="0">2026-08-20</begin><end restrict="0">2026-12-18T23:59:00</end></timeframe>
  </group>
  <group>
    <sourcedid><id>CRS-MATH1</id></sourcedid>
    <grouptype><typevalue>course</typevalue></grouptype>
    <description><short>MATH1</short><long>Algebra I</long></description>
    <relationship relation="1"><sourcedid><id>SCH1</id></sourcedid></relationship>
  </group>
  <group>
    <sourcedid><id>SEC-MATH1-01</id></sourcedid>
    <grouptype><typevalue>Section</typevalue></grouptype>
    <description><short>MATH1-01</short><long>Algebra I, period 1</long></description>
    <relationship relation="1"><sourcedid><id>CRS-MATH1</id></sourcedid></relationship>
  </group>
  <membership>
    <sourcedid><source>Strata</source><id>SEC-MATH1-01</id></sourcedid>
    <member>
      <sourcedid><id>P1001</id></sourcedid>
      <idtype>1</idtype>
      <role roletype="01">
        <status>1</status>
        <timeframe><begin restrict="1">2026-08-20</begin><end restrict="0">2026-12-18</end></timeframe>
      </role>
    </member>
    <member>
      <sourcedid><id>T2001</id></sourcedid>
      <idtype>1</idtype>
      <role><roletype>02</roletype><status>1</status></role>
      <role roletype="8" recstatus="3"><status>1</status></role>
    </member>
    <member>
      <sourcedid><id>P1002</id></sourcedid>
      <idtype>1</idtype>
      <role roletype="01"><status>0</status></role>
    </member>
    <member>
      <sourcedid><id>SEC-OTHER</id></sourcedid>
      <idtype>2</idtype>
      <role roletype="01"/>
    </member>
  </membership>
</enterprise>
`;

describe("readImsXml: sample file", () => {
  it("announces every entity in delta mode first, as one batch", async () => {
    const [first] = await batchesOf(SAMPLE);
    expect(first).toEqual(
      ["users", "orgs", "courses", "classes", "academicSessions", "enrollments", "demographics"].map((entity) => ({
        kind: "file",
        file: "strata.xml",
        entity,
        mode: "delta",
      })),
    );
  });

  it("maps persons to users and demographics", async () => {
    const events = await eventsOf(SAMPLE);
    expect(rows(events, "users")).toEqual([
      {
        kind: "row",
        file: "strata.xml",
        line: 8,
        entity: "users",
        op: "upsert",
        fields: {
          sourcedId: "P1001",
          status: "",
          enabledUser: "true",
          role: "student",
          username: "ada.lovelace",
          identifier: "ada.lovelace",
          givenName: "Ada",
          familyName: "Lovelace",
          email: "ada@example.edu",
          phone: "555-0101",
        },
      },
      {
        kind: "row",
        file: "strata.xml",
        line: 22,
        entity: "users",
        op: "upsert",
        fields: {
          sourcedId: "T2001",
          status: "",
          enabledUser: "true",
          role: "teacher",
          username: "cbabbage",
          identifier: "cbabbage",
          givenName: "Charles",
          familyName: "Babbage",
          email: "cb@example.edu",
          phone: "",
        },
      },
      {
        kind: "row",
        file: "strata.xml",
        line: 30,
        entity: "users",
        op: "delete",
        fields: {
          sourcedId: "P1002",
          status: "",
          enabledUser: "true",
          role: "student",
          username: "P1002",
          identifier: "",
          givenName: "Old",
          familyName: "Gone",
          email: "",
          phone: "",
        },
      },
    ]);
    expect(rows(events, "demographics").map((r) => [r.line, r.op, r.fields])).toEqual([
      [8, "upsert", { sourcedId: "P1001", status: "", birthDate: "2010-12-10", sex: "female" }],
      [22, "upsert", { sourcedId: "T2001", status: "", birthDate: "", sex: "male" }],
    ]);
    // The password attribute of <userid> must never travel.
    expect(JSON.stringify(events)).not.toContain("hunter2");
  });

  it("maps groups by typevalue to orgs, academicSessions, courses and classes", async () => {
    const events = await eventsOf(SAMPLE);
    expect(rows(events, "orgs").map((r) => [r.line, r.op, r.fields])).toEqual([
      [35, "upsert", { sourcedId: "SCH1", status: "", name: "North High", type: "school", parentSourcedId: "DIST1" }],
    ]);
    expect(rows(events, "academicSessions").map((r) => [r.line, r.fields])).toEqual([
      [
        41,
        {
          sourcedId: "TERM-F26",
          status: "",
          title: "Fall 2026",
          type: "term",
          startDate: "2026-08-20",
          endDate: "2026-12-18",
          parentSourcedId: "",
          schoolYear: "2026",
        },
      ],
    ]);
    expect(rows(events, "courses").map((r) => [r.line, r.fields])).toEqual([
      [47, { sourcedId: "CRS-MATH1", status: "", title: "Algebra I", courseCode: "MATH1", orgSourcedId: "SCH1" }],
    ]);
    expect(rows(events, "classes").map((r) => [r.line, r.fields])).toEqual([
      [
        53,
        {
          sourcedId: "SEC-MATH1-01",
          status: "",
          title: "Algebra I, period 1",
          classCode: "MATH1-01",
          classType: "scheduled",
          courseSourcedId: "CRS-MATH1",
          schoolSourcedId: "SCH1",
        },
      ],
    ]);
  });

  it("maps every role of every person member to an enrollment", async () => {
    const events = await eventsOf(SAMPLE);
    const base = { status: "", classSourcedId: "SEC-MATH1-01", schoolSourcedId: "SCH1", primary: "false" };
    expect(rows(events, "enrollments").map((r) => [r.line, r.op, r.fields])).toEqual([
      [64, "upsert", { ...base, sourcedId: "SEC-MATH1-01-P1001-01", userSourcedId: "P1001", role: "student", beginDate: "2026-08-20", endDate: "" }],
      // roletype as a child element
      [72, "upsert", { ...base, sourcedId: "SEC-MATH1-01-T2001-02", userSourcedId: "T2001", role: "teacher", beginDate: "", endDate: "" }],
      // roletype "8" is "08"; recstatus 3 deletes
      [73, "delete", { ...base, sourcedId: "SEC-MATH1-01-T2001-08", userSourcedId: "T2001", role: "teacher", beginDate: "", endDate: "" }],
      // <status>0</status> deletes
      [78, "delete", { ...base, sourcedId: "SEC-MATH1-01-P1002-01", userSourcedId: "P1002", role: "student", beginDate: "", endDate: "" }],
    ]);
  });

  it("reports only the group member, once, as a warning", async () => {
    const events = await eventsOf(SAMPLE);
    expect(issues(events)).toEqual([
      {
        kind: "issue",
        file: "strata.xml",
        line: 80,
        entity: "enrollments",
        sourcedId: "",
        severity: "WARNING",
        message: expect.stringContaining("idtype 2"),
      },
    ]);
  });
});

describe("readImsXml: chunking", () => {
  it.each([1, 7, 4096])("gives the same events with %i-character chunks", async (size) => {
    const whole = await eventsOf(SAMPLE);
    expect(await eventsOf(SAMPLE, size)).toEqual(whole);
  });

  it("keeps a character outside the BMP intact when a chunk splits its surrogate pair", async () => {
    const text = wrap(`<group><sourcedid><id>S</id></sourcedid><grouptype><typevalue>school</typevalue></grouptype>
      <description><short>Owl 🦉 School</short></description></group>`);
    const [org] = rows(await eventsOf(text, 1), "orgs");
    expect(org.fields.name).toBe("Owl 🦉 School");
  });

  it("yields one batch per input chunk, not one per row", async () => {
    const members = Array.from({ length: 3000 }, (_, i) => `<member><sourcedid><id>P${i}</id></sourcedid><idtype>1</idtype><role roletype="01"/></member>`);
    const text = wrap(`<membership><sourcedid><id>C1</id></sourcedid>\n${members.join("\n")}\n</membership>`);
    const batches = await batchesOf(text, 16 * 1024);
    const chunkCount = Math.ceil(text.length / (16 * 1024));
    expect(batches.length).toBeLessThanOrEqual(chunkCount + 1);
    expect(rows(batches.flat(), "enrollments")).toHaveLength(3000);
    // Rows stream out while the membership is still open: the membership is never held whole.
    expect(rows(batches[1], "enrollments").length).toBeGreaterThan(0);
    expect(rows(batches[1], "enrollments").length).toBeLessThan(3000);
  });
});
