import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/_bundle.ts";
import { Denied, listable, readable, removable, resolvePath, writable, type TenantView } from "./_vfs.ts";

function view(): TenantView {
  const root = tempDir();
  for (const f of ["OneRoster", "Accounts/AccountImports", "exports", "results"]) mkdirSync(join(root, f), { recursive: true });
  return { root, feeds: ["OneRoster", "Accounts/AccountImports"] };
}

describe("a tenant's SFTP view", () => {
  it("keeps every path inside the root", () => {
    const v = view();
    expect(resolvePath(v, "../../etc/passwd")).toEqual({ virtual: "/etc/passwd", real: join(v.root, "etc", "passwd") });
    expect(resolvePath(v, "/OneRoster/../../OneRoster/./users.csv").virtual).toBe("/OneRoster/users.csv");
    expect(resolvePath(v, "").virtual).toBe("/");
    expect(resolvePath(v, "/").virtual).toBe("/");
    expect(resolvePath(v, "/OneRoster/")).toEqual({ virtual: "/OneRoster", real: join(v.root, "OneRoster") });
    expect(resolvePath(v, "results//")).toEqual({ virtual: "/results", real: join(v.root, "results") });
    expect(() => resolvePath(v, "a\0b")).toThrow(Denied);
  });

  it("refuses symbolic links", () => {
    const v = view();
    symlinkSync("/etc", join(v.root, "OneRoster", "escape"));
    expect(() => resolvePath(v, "/OneRoster/escape/passwd")).toThrow("symbolic links are not followed");
  });

  it("writes only in feed folders; lists the root, the way to feeds, exports and results", () => {
    const v = view();
    expect(writable(v, "/OneRoster/users.csv")).toBe(true);
    expect(writable(v, "/Accounts/AccountImports/strata_2026_11_24.txt")).toBe(true);
    expect(writable(v, "/users.csv")).toBe(false);
    expect(writable(v, "/exports/x.csv")).toBe(false);
    expect(writable(v, "/Accounts/x.txt")).toBe(false);
    expect(writable(v, "/OneRoster/.hidden")).toBe(false);
    expect(listable(v, "/")).toBe(true);
    expect(listable(v, "/Accounts")).toBe(true);
    expect(listable(v, "/results")).toBe(true);
    expect(listable(v, "/staging")).toBe(false);
    expect(readable(v, "/results/job.csv")).toBe(true);
    expect(readable(v, "/OneRoster/.users.csv.upload")).toBe(false);
  });

  it("removes from exports/ and results/ only with sftp_delete_after_pickup", () => {
    const v = view();
    expect(removable(v, "/OneRoster/users.csv")).toBe(true);
    expect(removable(v, "/exports/2026/registrations.csv")).toBe(false);
    expect(removable(v, "/results/job.csv")).toBe(false);
    const pickup = { ...v, deleteAfterPickup: true };
    expect(removable(pickup, "/exports/2026/registrations.csv")).toBe(true);
    expect(removable(pickup, "/results/job.csv")).toBe(true);
    expect(removable(pickup, "/exports/.registrations.csv.tmp")).toBe(false);
    expect(removable(pickup, "/exports")).toBe(false);
    expect(removable(pickup, "/users.csv")).toBe(false);
  });
});
