/**
 * Tests of compileMapping: copying, codes, transforms, omit, blank handling,
 * and every configuration error with its key path.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import { compileMapping, MappingError, type FieldMapping } from "./mod.ts";

const CTX = "tenants[0].feeds[1].fields";

describe("compileMapping", () => {
  it("copies from → to and lists targets and sources in configured order", () => {
    const m = compileMapping(
      [
        { from: "Student Number", to: "sourcedId" },
        { from: "First", to: "givenName" },
        { from: "Last", to: "familyName" },
      ],
      CTX,
    );
    expect(m.targets).toEqual(["sourcedId", "givenName", "familyName"]);
    expect(m.sources).toEqual(["Student Number", "First", "Last"]);
    const r = m.apply({ "Student Number": "S1", First: "Ada", Last: "Lovelace", Other: "x" });
    expect(r).toEqual({ values: { sourcedId: "S1", givenName: "Ada", familyName: "Lovelace" }, errors: [] });
    expect(Object.keys(r.values)).toEqual(["sourcedId", "givenName", "familyName"]);
  });

  it("reads the same source into two targets, and a missing source as blank", () => {
    const m = compileMapping([{ from: "Id", to: "sourcedId" }, { from: "Id", to: "identifier" }, { from: "Email", to: "email" }], CTX);
    expect(m.sources).toEqual(["Id", "Email"]);
    expect(m.apply({ Id: "7" }).values).toEqual({ sourcedId: "7", identifier: "7", email: "" });
  });

  it("lists concat placeholders as sources", () => {
    const m = compileMapping(
      [{ from: "Id", to: "sourcedId" }, { to: "username", transform: "concat:{First}.{Last}|lower" }, { from: "First", to: "givenName" }],
      CTX,
    );
    expect(m.sources).toEqual(["Id", "First", "Last"]);
    expect(m.apply({ Id: "1", First: "Ada", Last: "Lovelace" }).values.username).toBe("ada.lovelace");
  });

  describe("codes", () => {
    const sex: FieldMapping = { from: "Gender", to: "sex", codes: { M: "male", F: "female", X: "other" } };

    it("maps exact values first, then ignoring case and spaces", () => {
      const m = compileMapping([{ from: "Gender", to: "sex", codes: { m: "lower-m", M: "male" } }], CTX);
      expect(m.apply({ Gender: "M" }).values.sex).toBe("male");
      expect(m.apply({ Gender: "m" }).values.sex).toBe("lower-m");
      const n = compileMapping([sex], CTX);
      expect(n.apply({ Gender: "f" }).values.sex).toBe("female");
      expect(n.apply({ Gender: " x " }).values.sex).toBe("other");
    });

    it("reports an unmapped value without a default, naming field, value and fix", () => {
      const m = compileMapping([{ from: "Id", to: "sourcedId" }, sex], CTX);
      const r = m.apply({ Id: "1", Gender: "Q" });
      expect(r.errors).toEqual(['Gender: value "Q" has no code mapping; add it to codes or set default']);
      expect(r.values).toEqual({ sourcedId: "1" });
    });

    it("uses the default for an unmapped value", () => {
      const m = compileMapping([{ ...sex, default: "unspecified" }], CTX);
      expect(m.apply({ Gender: "Q" })).toEqual({ values: { sex: "unspecified" }, errors: [] });
      expect(m.apply({ Gender: "F" }).values.sex).toBe("female");
    });

    it("passes a blank value through without lookup", () => {
      const m = compileMapping([sex], CTX);
      expect(m.apply({ Gender: "" })).toEqual({ values: { sex: "" }, errors: [], keepBlank: ["sex"] });
      expect(m.apply({ Gender: "   " }).values.sex).toBe("");
      expect(m.apply({}).errors).toEqual([]);
    });

    it("applies transforms after codes, including to the default", () => {
      const m = compileMapping([{ from: "Gender", to: "G", codes: { male: "m" }, default: "u", transform: "upper" }], CTX);
      expect(m.apply({ Gender: "male" }).values.G).toBe("M");
      expect(m.apply({ Gender: "other" }).values.G).toBe("U");
    });

    it("collects one error per failing field", () => {
      const m = compileMapping([sex, { from: "DOB", to: "birthDate", transform: "date:YYYY-MM-DD" }], CTX);
      const r = m.apply({ Gender: "Z", DOB: "31/31/2000" });
      expect(r.errors).toHaveLength(2);
      expect(r.errors[1]).toMatch(/^DOB: value "31\/31\/2000" is not a date; use YYYY-MM-DD/);
      expect(r.values).toEqual({});
    });
  });

  it("runs transforms, const and concat without from", () => {
    const m = compileMapping(
      [
        { from: "Id", to: "sourcedId", transform: "trim|pad:6:0" },
        { from: "Last", to: "familyName", transform: "upper" },
        { from: "DOB", to: "birthDate", transform: "date:YYYY-MM-DD" },
        { to: "role", transform: "const:student" },
        { to: "email", transform: "concat:{Id}@school.example" },
      ],
      CTX,
    );
    expect(m.targets).toEqual(["sourcedId", "familyName", "birthDate", "role", "email"]);
    expect(m.apply({ Id: " 42", Last: "Lovelace", DOB: "12/10/1815" })).toEqual({
      values: { sourcedId: "000042", familyName: "LOVELACE", birthDate: "1815-12-10", role: "student", email: " 42@school.example" },
      errors: [],
    });
  });

  it("leaves omitted fields out of targets, sources and values", () => {
    const m = compileMapping(
      [{ from: "Id", to: "sourcedId" }, { from: "Middle", omit: true }, { from: "Nick", to: "preferredFirstName", omit: true }],
      CTX,
    );
    expect(m.targets).toEqual(["sourcedId"]);
    expect(m.sources).toEqual(["Id"]);
    expect(m.apply({ Id: "1", Middle: "B", Nick: "N" }).values).toEqual({ sourcedId: "1" });
  });

  describe("blank keep / clear", () => {
    const m = compileMapping(
      [
        { from: "Id", to: "sourcedId" },
        { from: "Middle", to: "middleName", blank: "clear" },
        { from: "Email", to: "email" },
        { from: "Phone", to: "phone", blank: "keep" },
        { from: "Kind", to: "role", transform: "const:student" },
        { to: "status", transform: "const:active" },
      ],
      CTX,
    );

    it("lists the keep targets (the default), not clear or source-less ones", () => {
      expect(m.keepBlank).toEqual(["sourcedId", "email", "phone", "role"]);
    });

    it("reports per record the keep targets whose source was blank", () => {
      const r = m.apply({ Id: "1", Middle: "", Email: " ", Phone: "555", Kind: "" });
      expect(r.values).toEqual({ sourcedId: "1", middleName: "", email: "", phone: "555", role: "student", status: "active" });
      // role got a value from const:, so it is written, not kept
      expect(r.keepBlank).toEqual(["email"]);
    });

    it("omits keepBlank when no kept field is blank", () => {
      const r = m.apply({ Id: "1", Middle: "", Email: "a@b.c", Phone: "5", Kind: "x" });
      expect(r).not.toHaveProperty("keepBlank");
    });
  });
});

describe("compileMapping config errors", () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ["fields not a list", { from: "a" }, CTX, /must be a list of field mappings/],
    ["an entry not a mapping", ["Id"], `${CTX}[0]`, /must be a mapping like \{ from: Column, to: field \}/],
    ["an unknown key", [{ from: "a", to: "b", tranform: "upper" }], `${CTX}[0].tranform`, /unknown key; use from, to, codes/],
    ["missing to", [{ from: "a" }], `${CTX}[0].to`, /missing; name the target/],
    ["missing from", [{ to: "b" }], `${CTX}[0].from`, /missing; name the source field or column, or start the transform with const: or concat:/],
    ["missing from with a non-const transform", [{ to: "b", transform: "upper|const:x" }], `${CTX}[0].from`, /missing/],
    ["empty from", [{ from: "", to: "b" }], `${CTX}[0].from`, /must be non-empty text/],
    ["a number as to", [{ from: "a", to: 2024 }], `${CTX}[0].to`, /must be non-empty text, got 2024 \(quote it in YAML\)/],
    ["codes not an object", [{ from: "a", to: "b", codes: "M=male" }], `${CTX}[0].codes`, /must be a mapping of source value to target value/],
    ["codes as a list", [{ from: "a", to: "b", codes: ["M"] }], `${CTX}[0].codes`, /must be a mapping/],
    ["codes null", [{ from: "a", to: "b", codes: null }], `${CTX}[0].codes`, /must be a mapping/],
    ["a code not text", [{ from: "a", to: "b", codes: { K: 0 } }], `${CTX}[0].codes.K`, /must be text, got 0/],
    ["default not text", [{ from: "a", to: "b", codes: { K: "k" }, default: 1 }], `${CTX}[0].default`, /must be text/],
    ["default without codes", [{ from: "a", to: "b", default: "x" }], `${CTX}[0].default`, /applies only to values missing from codes/],
    ["codes without from", [{ to: "b", codes: { a: "b" }, transform: "const:x" }], `${CTX}[0].codes`, /needs a from value/],
    ["omit not boolean", [{ from: "a", omit: "yes" }], `${CTX}[0].omit`, /must be true or false/],
    ["blank not keep/clear", [{ from: "a", to: "b", blank: "empty" }], `${CTX}[0].blank`, /must be keep or clear, got "empty"/],
    ["unknown transform", [{ from: "a", to: "b" }, { from: "c", to: "d", transform: "titlecase" }], `${CTX}[1].transform`, /unknown transform "titlecase"/],
    ["bad transform args", [{ from: "a", to: "b", transform: "pad:x:0" }], `${CTX}[0].transform`, /pad WIDTH must be a whole number/],
    ["transform not text", [{ from: "a", to: "b", transform: true }], `${CTX}[0].transform`, /must be text naming a transform/],
    ["a bad transform on an omitted field", [{ from: "a", omit: true, transform: "nope" }], `${CTX}[0].transform`, /unknown transform/],
    [
      "a duplicate target",
      [{ from: "a", to: "sourcedId" }, { from: "b", to: "x", omit: true }, { from: "c", to: "sourcedId" }],
      `${CTX}[2].to`,
      /"sourcedId" is already mapped by tenants\[0\]\.feeds\[1\]\.fields\[0\]; map each target once/,
    ],
  ];
  for (const [name, fields, path, message] of cases) {
    it(`rejects ${name}`, () => {
      let caught: unknown;
      try {
        compileMapping(fields as FieldMapping[], CTX);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(MappingError);
      const err = caught as MappingError;
      expect(err.path).toBe(path);
      expect(err.message.startsWith(`${path}: `)).toBe(true);
      expect(err.message).toMatch(message);
    });
  }

  it("allows an omitted target to repeat a mapped one", () => {
    expect(() => compileMapping([{ from: "a", to: "x" }, { from: "b", to: "x", omit: true }], CTX)).not.toThrow();
  });
});
