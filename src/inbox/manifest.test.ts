import { statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { checkManifestFiles, ManifestSchemaError, markInvalid, parseManifest } from "./manifest.ts";

const USERS = "sourcedId,status\nu1,\n";

function folderWith(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("parseManifest", () => {
  it("reads files, checksums and hash types in any case", () => {
    const m = parseManifest(`<?xml version="1.0"?>
<manifest>
  <file name="users.csv" checksum="9E107D9D372BB6826BD81D3542A419D6" checksumhashtype="MD5"/>
  <file name="enrollments.csv" checksum="" checksumhashtype=""/>
  <file NAME="orgs.csv" checksum="" CHECKSUMHASHTYPE="None"></file>
</manifest>`, "a.done");
    expect(m.files.map((f) => [f.name, f.checksum, f.hashType, f.line])).toEqual([
      ["users.csv", "9e107d9d372bb6826bd81d3542a419d6", "md5", 3],
      ["enrollments.csv", "", "none", 4],
      ["orgs.csv", "", "none", 5],
    ]);
  });

  it.each([
    ["not XML at all", "users.csv ok", /not well-formed XML/],
    ["an unclosed tag", "<manifest><file name='a.csv'/>", /not well-formed XML/],
    ["another root", "<files><file name='a.csv'/></files>", /the root element is <files>; expected <manifest>/],
    ["no <file>", "<manifest></manifest>", /lists no <file\/>; at least one is needed/],
    ["a nameless <file>", "<manifest><file checksum=''/></manifest>", /a <file> has no name attribute/],
    ["a DOCTYPE", "<!DOCTYPE manifest [<!ENTITY x 'y'>]><manifest><file name='&x;'/></manifest>", /DOCTYPE declarations are not allowed/],
    ["an empty file", "", /not well-formed XML|is empty/],
  ])("refuses %s as INVALIDSCHEMA", (_what, text, message) => {
    expect(() => parseManifest(text, "x.done")).toThrow(ManifestSchemaError);
    expect(() => parseManifest(text, "x.done")).toThrow(message);
  });
});

describe("checkManifestFiles and markInvalid", () => {
  it("finds missing, empty, escaping, doubled, wrongly hashed and mismatched files, and marks them", async () => {
    const dir = folderWith({ "users.csv": USERS, "empty.csv": "", "orgs.csv": "sourcedId\n" });
    const { md5File } = await import("./manifest.ts");
    const md5 = await md5File(join(dir, "users.csv"));
    const text = `<manifest>
  <file name="users.csv" checksum="${md5}" checksumhashtype="md5"/>
  <file name="orgs.csv" checksum="00000000000000000000000000000000" checksumhashtype="md5" />
  <file name="../etc/passwd" checksum="" checksumhashtype="none"/>
  <file name="missing.csv" checksum="" checksumhashtype="none"></file>
  <file name="empty.csv" checksum="" checksumhashtype="none"/>
  <file name="users.csv" checksum="" checksumhashtype="none"/>
  <file name="classes.csv" checksum="abc" checksumhashtype="sha1"/>
</manifest>`;
    const manifest = parseManifest(text, "m.done");
    const invalid = await checkManifestFiles(dir, manifest);
    expect(Object.fromEntries(invalid)).toEqual({
      1: expect.stringMatching(/^checksum differs: the manifest says 0{32}, the file's MD5 is [0-9a-f]{32}$/),
      2: "not a file name in this folder (no paths, no hidden files)",
      3: "not in the folder",
      4: "is empty (0 bytes)",
      5: "listed twice in this manifest",
      6: 'checksumhashtype "sha1" is not supported; use md5 or none',
    });
    const marked = markInvalid(text, manifest, invalid);
    expect(marked).toContain(`<file name="users.csv" checksum="${md5}" checksumhashtype="md5"/>`);
    expect(marked).toContain('<file name="missing.csv" checksum="" checksumhashtype="none" INVALID="not in the folder"></file>');
    expect(marked).toContain('<file name="../etc/passwd" checksum="" checksumhashtype="none" INVALID="not a file name in this folder (no paths, no hidden files)"/>');
    expect(marked).toMatch(/<file name="orgs.csv" checksum="0{32}" checksumhashtype="md5" INVALID="checksum differs: [^"]+" \/>/);
    // The marked manifest is still a manifest of the same files.
    expect(parseManifest(marked, "m.done").files.map((f) => f.name)).toEqual(manifest.files.map((f) => f.name));
  });

  it("finds nothing wrong with a good manifest", async () => {
    const dir = folderWith({ "users.csv": USERS });
    const { md5File } = await import("./manifest.ts");
    const manifest = parseManifest(`<manifest><file name="users.csv" checksum="${await md5File(join(dir, "users.csv"))}" checksumhashtype="md5"/></manifest>`, "m.done");
    expect((await checkManifestFiles(dir, manifest)).size).toBe(0);
  });

  it("takes the hash the SFTP server took of a file that is still the same, and reads a changed one again", async () => {
    const dir = folderWith({ "users.csv": USERS });
    const path = join(dir, "users.csv");
    const { md5File } = await import("./manifest.ts");
    const { rememberMd5 } = await import("./_md5-memo.ts");
    const real = await md5File(path);
    // A hash remembered for this very file (as `_upload-md5.ts` tells it) is believed without reading the file:
    // here it is not the file's, so a manifest with the real one is found to differ.
    rememberMd5(statSync(path, { bigint: true }), Promise.resolve("0".repeat(32)));
    const manifest = parseManifest(`<manifest><file name="users.csv" checksum="${real}" checksumhashtype="md5"/></manifest>`, "m.done");
    expect((await checkManifestFiles(dir, manifest)).get(0)).toMatch(/the file's MD5 is 0{32}/);
    // Written again since: hashed again, and found right.
    writeFileSync(path, USERS);
    utimesSync(path, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect((await checkManifestFiles(dir, manifest)).size).toBe(0);
  });
});
