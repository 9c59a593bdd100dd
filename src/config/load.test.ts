import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./mod.ts";

const EXAMPLE = readFileSync(join(import.meta.dirname, "..", "..", "test", "fixtures", "rosterbox.yaml"), "utf8");

/** The problems of a config made by editing the example. */
function problems(edit: (text: string) => string): string[] {
  try {
    parseConfig(edit(EXAMPLE), "/etc/rosterbox/rosterbox.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line} ${p.key}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("config", () => {
  it("accepts the example of CONTRACT.md and resolves paths against the config's folder", () => {
    const config = parseConfig(EXAMPLE, "/etc/rosterbox/rosterbox.yaml");
    expect(config.data_dir).toBe("/etc/rosterbox/rosterbox-data");
    expect(config.tenants[0]!.feeds![1]!.fields).toHaveLength(3);
  });

  it("environment variables override data dir and listen addresses", () => {
    const config = parseConfig(EXAMPLE, "/etc/rosterbox/rosterbox.yaml", { ROSTERBOX_DATA_DIR: "/var/lib/rosterbox", ROSTERBOX_HTTP_LISTEN: "0.0.0.0:80" });
    expect(config.data_dir).toBe("/var/lib/rosterbox");
    expect(config.http!.listen).toBe("0.0.0.0:80");
  });

  it("names the key and the line of schema problems", () => {
    expect(problems((t) => t.replace("format: oneroster-csv", "format: excel").replace("retention: { archive_days: 60,", "retention: { archive_dayz: 60,"))).toEqual([
      '5 retention.archive_dayz: unknown key "archive_dayz" (check its spelling)',
      "20 tenants[0].feeds[0].format: must be one of: oneroster-csv, ims-xml, delimited",
    ]);
    expect(problems((t) => t.replace("  - id: strata\n    name:", "  - name:"))).toContain('11 tenants[0]: missing key "id"');
  });

  it("refuses what a schema cannot see, each with its line", () => {
    const found = problems((t) =>
      t
        .replace('schedule: "0 21 * * *"', 'schedule: "every night"')
        .replace('transform: upper', 'transform: "shout"')
        .replace('folder: "exports/{schoolYear}"', 'folder: "../../etc"')
        .replace("allow_from: [\"10.0.0.0/8\"", "allow_from: [\"10.0.0.0/33\"")
        .replace('listen: "0.0.0.0:2222"', 'listen: "2222"')
        .replace("folder: OneRoster", "folder: results"));
    expect(found.join("\n")).toMatch(/^4 sftp\.listen: "2222" is not an address to listen on/m);
    expect(found.join("\n")).toMatch(/^17 tenants\[0\]\.sftp_users\[0\]\.allow_from\[0\]: "10\.0\.0\.0\/33" is not an address or CIDR range$/m);
    expect(found.join("\n")).toMatch(/^19 tenants\[0\]\.feeds\[0\]\.folder: "results" is reserved/m);
    expect(found.join("\n")).toMatch(/^36 tenants\[0\]\.exports\[0\]\.schedule: "every night" is not a cron schedule/m);
    expect(found.join("\n")).toMatch(/^37 tenants\[0\]\.exports\[0\]\.folder: "\.\.\/\.\.\/etc" has a part "\.\." that is not a plain folder name/m);
    expect(found.join("\n")).toMatch(/^46 tenants\[0\]\.exports\[0\]\.fields\[3\]\.transform: .*shout/m);
  });

  it("refuses a time zone the schedules cannot run in, and takes IANA names", () => {
    const withZone = (zone: string) => problems((t) => `time_zone: "${zone}"\n${t}`);
    expect(withZone("Europe/Londn")).toEqual(['1 time_zone: "Europe/Londn" is not a time zone; write an IANA name such as America/Chicago or Europe/London']);
    expect(withZone("America/Chicago")).toEqual([]);
    expect(withZone("UTC")).toEqual([]);
  });

  it("refuses plain-text passwords, bad keys and logins used twice", () => {
    const found = problems((t) =>
      t
        .replace(/password_hash: "\$scrypt[^"]*", role/, 'password_hash: "hunter2", role')
        .replace("AAAAC3NzaC1lZDI1NTE5AAAAIFyBp", "AAAAnotakey")
        .replace("    feeds:\n", "  - id: other\n    sftp_users: [{ username: strata-sis, authorized_keys: [] }]\n    feeds:\n"));
    expect(found.join("\n")).toContain("7 web_users[0].password_hash: is not a password hash; make one with `rosterbox hash-password`");
    expect(found.join("\n")).toMatch(/^16 tenants\[0\]\.sftp_users\[0\]\.authorized_keys\[0\]: is not a public key/m);
    expect(found.join("\n")).toContain('19 tenants[1].sftp_users[0].username: SFTP user "strata-sis" already belongs to tenant "strata"; login names are unique across tenants');
    expect(found.join("\n")).toContain("19 tenants[1].sftp_users[0]: needs a password_hash or authorized_keys");
  });

  it("reports YAML that does not parse, with its line", () => {
    expect(problems((t) => t.replace("tenants:\n", "tenants:\n  - id: [unclosed\n"))[0]).toMatch(/^1[12] : not valid YAML/);
  });
});

describe("the embedded default config", () => {
  it("is valid and keeps its data beside where it runs", async () => {
    const { DEFAULT_CONFIG } = await import("./default.ts");
    const config = parseConfig(DEFAULT_CONFIG, "/srv/here/rosterbox.yaml");
    expect(config.data_dir).toBe("/srv/here/rosterbox-data");
    expect(config.tenants.map((t) => t.id)).toEqual(["demo"]);
  });
});
