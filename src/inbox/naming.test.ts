import { describe, expect, it } from "vitest";
import { parseSubmissionName, uniqueName } from "./naming.ts";

describe("submission names", () => {
  it("reads ClientString_YYYY_MM_DD.ext and its (n) copies", () => {
    expect(parseSubmissionName("strata_2026_11_24.txt")).toEqual({ client: "strata", date: "2026-11-24", copy: 1, extension: "txt" });
    expect(parseSubmissionName("strata_2026_11_24(3).XML")).toEqual({ client: "strata", date: "2026-11-24", copy: 3, extension: "xml" });
    expect(parseSubmissionName("north-isd_2026_02_28.csv")?.client).toBe("north-isd");
  });

  it.each(["strata_2026_02_30.txt", "strata_2026_13_01.txt", "strata-2026-11-24.txt", "strata_2026_11_24.xlsx", "_2026_11_24.txt", "users.csv"])(
    "does not take %s for a dated submission name",
    (name) => expect(parseSubmissionName(name)).toBeUndefined(),
  );

  it("gives a same-day duplicate the next free (n)", () => {
    const taken = new Set(["strata_2026_11_24.txt", "strata_2026_11_24(2).txt"]);
    expect(uniqueName("strata_2026_11_24.txt", (n) => taken.has(n))).toBe("strata_2026_11_24(3).txt");
    expect(uniqueName("other_2026_11_24.txt", (n) => taken.has(n))).toBe("other_2026_11_24.txt");
    expect(uniqueName("README", () => false)).toBe("README");
    expect(uniqueName("README", (n) => n === "README")).toBe("README(2)");
  });
});
