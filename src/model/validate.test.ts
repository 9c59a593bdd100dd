import { describe, expect, it } from "vitest";
import { isIdSafe, validatorFor, type RowRef } from "./validate.ts";

function check(entity: string, fields: Record<string, string>) {
  const result = { errors: [] as string[], warnings: [] as string[] };
  const refs: RowRef[] = [];
  validatorFor(entity).check(fields, result, refs);
  return { ...result, refs, fields };
}

const session = (startDate: string) => ({ sourcedId: "s", title: "T", type: "term", startDate, endDate: "2027-01-01", schoolYear: "2027" });

describe("field rules", () => {
  it.each([
    ["2024-02-29", true], ["2000-02-29", true], ["2026-04-30", true],
    ["2023-02-29", false], ["1900-02-29", false], ["2026-13-01", false], ["2026-04-31", false],
    ["2026-00-10", false], ["26-04-30", false], ["2026/04/30", false], ["2026-4-3", false],
  ])("date %s is %s", (date, ok) => {
    const { errors } = check("academicSessions", session(date));
    expect(errors.length === 0).toBe(ok);
    if (!ok) expect(errors[0]).toBe(`startDate: "${date}" is not a date as YYYY-MM-DD`);
  });

  it.each([
    ["2024-02-29T00:00:00Z", true], ["2026-05-01T18:25:43.511Z", true], ["2026-05-01", true],
    ["2026-02-30T00:00:00Z", false], ["2026-13-01T00:00:00Z", false], ["2025-02-29T00:00:00Z", false], ["2026-02-30", false],
  ])("dateLastModified %s is %s: a date-time must fall on a real calendar day", (modified, ok) => {
    const { errors } = check("orgs", { sourcedId: "o", name: "N", type: "school", dateLastModified: modified });
    expect(errors).toEqual(ok ? [] : [`dateLastModified: "${modified}" is not an ISO 8601 date-time`]);
  });

  it("normalises booleans and enums to their canonical spelling", () => {
    const { errors, fields } = check("enrollments", { sourcedId: "e", classSourcedId: "k", schoolSourcedId: "s", userSourcedId: "u", role: "Student", primary: "TRUE" });
    expect(errors).toEqual([]);
    expect(fields).toMatchObject({ role: "student", primary: "true" });
  });

  it("lists every reference a row makes, splitting list fields", () => {
    const { refs } = check("classes", { sourcedId: "k", title: "T", courseSourcedId: "c", classType: "scheduled", schoolSourcedId: "s", termSourcedIds: "t1, t2" });
    expect(refs).toEqual([
      { field: "courseSourcedId", entity: "courses", id: "c" },
      { field: "schoolSourcedId", entity: "orgs", id: "s" },
      { field: "termSourcedIds", entity: "academicSessions", id: "t1" },
      { field: "termSourcedIds", entity: "academicSessions", id: "t2" },
    ]);
  });

  it("rejects unsafe ids, empty required fields, bad status and date-times, naming field and value", () => {
    const { errors } = check("users", { sourcedId: "a b", status: "gone", dateLastModified: "yesterday", enabledUser: "yes", username: "", givenName: "A", familyName: "B" });
    expect(errors).toEqual([
      'sourcedId: "a b" is not a valid id (1–255 characters of letters, digits, . - _ / @)',
      'status: "gone" is not active or tobedeleted',
      'dateLastModified: "yesterday" is not an ISO 8601 date-time',
      'enabledUser: "yes" is not true or false',
      "username: required but empty",
    ]);
  });

  it("warns about grades that are not CEDS codes, with a hint for a dropped leading zero", () => {
    const { errors, warnings } = check("courses", { sourcedId: "c", title: "T", orgSourcedId: "o", grades: "9,10,Senior" });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'grades: "9" is not a CEDS grade code (did a spreadsheet drop the leading zero? use 09)',
      'grades: "Senior" is not a CEDS grade code',
    ]);
  });

  it("checks only the sourcedId of an extension entity", () => {
    expect(check("guardians", { sourcedId: "g1", anything: "goes" }).errors).toEqual([]);
    expect(check("guardians", { sourcedId: "" }).errors).toEqual(["sourcedId: required but empty"]);
  });
});

describe("isIdSafe", () => {
  it("takes 1–255 letters, digits and . - _ / @, nothing else", () => {
    for (const ok of ["a", "u-1", "District.7/student_9@sis", "0".repeat(255)]) expect(isIdSafe(ok), ok).toBe(true);
    for (const bad of ["", "a b", "ü1", "x".repeat(256), "a,b", "a\x00b", "é", "a+b", "{x}"]) expect(isIdSafe(bad), bad).toBe(false);
  });
});
