/**
 * Tests of the transform language: each transform alone, chains, and every
 * way a spec can be wrong.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import { MappingError, TransformError, parseDate, parseTransform } from "./mod.ts";

const run = (spec: string, value: string, record: Record<string, string> = {}): string =>
  parseTransform(spec)(value, record);

describe("simple transforms", () => {
  it("upper, lower and trim", () => {
    expect(run("upper", "Lovelace")).toBe("LOVELACE");
    expect(run("lower", "ADA@Example.ORG")).toBe("ada@example.org");
    expect(run("trim", "  Ada \t")).toBe("Ada");
  });

  it("substr with start and length, start only, and past the end", () => {
    expect(run("substr:0:4", "20251234")).toBe("2025");
    expect(run("substr:4:2", "20251234")).toBe("12");
    expect(run("substr:2", "ABCDEF")).toBe("CDEF");
    expect(run("substr:10:3", "ABC")).toBe("");
    expect(run("substr:1:0", "ABC")).toBe("");
  });

  it("pad left-pads to the width and leaves longer or blank values alone", () => {
    expect(run("pad:6:0", "42")).toBe("000042");
    expect(run("pad:3:*", "7")).toBe("**7");
    expect(run("pad:3:0", "123456")).toBe("123456");
    expect(run("pad:6:0", "")).toBe("");
    expect(run("pad:4::", "1")).toBe(":::1");
  });

  it("const ignores the value and may contain colons", () => {
    expect(run("const:student", "anything")).toBe("student");
    expect(run("const:a:b", "")).toBe("a:b");
    expect(run("const:", "x")).toBe("");
  });

  it("concat fills placeholders from the record, blank for missing fields", () => {
    const record = { First: "Ada", Last: "Lovelace", "Home Room": "12B" };
    expect(run("concat:{Last}, {First}", "", record)).toBe("Lovelace, Ada");
    expect(run("concat:{ Home Room }-{Missing}!", "", record)).toBe("12B-!");
    expect(run("concat:{First}", "", record)).toBe("Ada");
  });
});

describe("date", () => {
  const mdy = parseTransform("date:MM/DD/YYYY");

  it("reads every accepted input form", () => {
    expect(mdy("2011-03-07", {})).toBe("03/07/2011");
    expect(mdy("2011-03-07T23:59:59Z", {})).toBe("03/07/2011");
    expect(mdy("2011-03-07T01:00:00.123-05:00", {})).toBe("03/07/2011");
    expect(mdy("2011-03-07T01:00", {})).toBe("03/07/2011");
    expect(mdy("3/7/2011", {})).toBe("03/07/2011");
    expect(mdy("03/07/2011", {})).toBe("03/07/2011");
    expect(mdy(" 2011-03-07 ", {})).toBe("03/07/2011");
  });

  it("writes every token", () => {
    const d = "2009-04-05";
    expect(run("date:YYYY-MM-DD", d)).toBe("2009-04-05");
    expect(run("date:YYYYMMDD", d)).toBe("20090405");
    expect(run("date:M/D/YY", d)).toBe("4/5/09");
    expect(run("date:DD.MM.YYYY", "2011-12-31")).toBe("31.12.2011");
    expect(run("date:D M", "2011-12-31")).toBe("31 12");
  });

  it("keeps a blank date blank", () => {
    expect(mdy("", {})).toBe("");
  });

  it("throws a TransformError naming the value for an unparseable or impossible date", () => {
    for (const bad of ["2011-02-29", "2011-13-01", "13/45/2020", "yesterday", "2011-03-07T25:00", "0000-01-01",
      "12/10/08", "2011-03-07X", "1//2011", "a/b/2011", "123/1/2011", "2011-0a-07", "2011/03/07"]) {
      expect(() => mdy(bad, {}), bad).toThrow(TransformError);
    }
    expect(() => mdy("31/12/2020", {})).toThrow(/value "31\/12\/2020" is not a date; use YYYY-MM-DD/);
  });

  it("parseDate knows leap years", () => {
    expect(parseDate("2024-02-29")).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseDate("2/29/2000")).toEqual({ year: 2000, month: 2, day: 29 });
    expect(parseDate("1900-02-29")).toBeNull();
  });
});

describe("chains", () => {
  it("applies steps left to right, ignoring spaces around |", () => {
    expect(run("trim|upper", "  ada ")).toBe("ADA");
    expect(run("trim | substr:0:3 | upper", " lovelace")).toBe("LOV");
    expect(run("date:YYYYMMDD|substr:0:4", "3/7/2011")).toBe("2011");
    expect(run("concat:{Last} {First}|lower", "", { First: "Ada", Last: "LOVELACE" })).toBe("lovelace ada");
    expect(run("trim|pad:5:0|concat:S{Id}|upper", "7", { Id: "x1" })).toBe("SX1");
    expect(run("substr:0:3|pad:5:0", "12345")).toBe("00123");
  });

  it("propagates a date error from the middle of a chain", () => {
    expect(() => run("trim|date:YYYY|upper", "soon")).toThrow(TransformError);
  });
});

describe("bad specs", () => {
  const bad: Array<[string, RegExp]> = [
    ["", /must be text naming a transform/],
    ["   ", /must be text naming a transform/],
    ["shout", /unknown transform "shout"; use upper, lower, trim, date/],
    ["upper||lower", /step 2 of "upper\|\|lower" is empty/],
    ["upper|", /step 2 .* is empty/],
    ["upper:x", /upper takes no arguments/],
    ["trim:", /trim takes no arguments/],
    ["date", /date needs arguments, like "date:MM\/DD\/YYYY"/],
    ["date:", /date: format "" has no YYYY/],
    ["date:yyyy-mm-dd", /has no YYYY, YY, MM, M, DD or D token/],
    ["substr", /substr needs arguments/],
    ["substr:a:2", /substr START must be a whole number, got "a"/],
    ["substr:-1:2", /substr START must be a whole number/],
    ["substr:0:x", /substr LENGTH must be a whole number/],
    ["substr:0:1:2", /substr takes START:LENGTH/],
    ["pad:6", /pad takes WIDTH:CHAR with one character/],
    ["pad:6:00", /pad takes WIDTH:CHAR/],
    ["pad:0:0", /pad WIDTH must be a whole number of at least 1/],
    ["pad:x:0", /pad WIDTH must be a whole number/],
    ["pad:5000:0", /pad WIDTH 5000 is more than 1024/],
    ["const", /const needs arguments/],
    ["concat:plain text", /concat: the template names no field; use const:/],
    ["concat:{First", /concat: "\{" is not closed with "\}" in "\{First"/],
    ["concat:{} x", /concat: empty placeholder/],
    ["upper|nope", /unknown transform "nope"/],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => {
      let caught: unknown;
      try {
        parseTransform(spec, "fields[3].transform");
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(MappingError);
      expect((caught as MappingError).path).toBe("fields[3].transform");
      expect((caught as MappingError).message).toMatch(/^fields\[3\]\.transform: /);
      expect((caught as MappingError).message).toMatch(message);
    });
  }

  it("rejects a spec that is not text", () => {
    expect(() => parseTransform(42 as unknown as string)).toThrow(/^transform: must be text/);
  });
});
