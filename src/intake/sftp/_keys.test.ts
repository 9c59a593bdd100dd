import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import { hostKeys, newHostKey } from "./_keys.ts";

describe("host keys", () => {
  it("are always keys ssh2 can read and serve with (its keygen spoils about 1 ed25519 key in 256)", () => {
    // Without the check, 2,000 keys hold a spoiled one but for a chance of (255/256)^2000 ≈ 0.04 %.
    for (let i = 0; i < 2000; i++) {
      const key = newHostKey("ed25519");
      const parsed = ssh2.utils.parseKey(key);
      expect(parsed).not.toBeInstanceOf(Error);
      expect(() => new ssh2.Server({ hostKeys: [key] })).not.toThrow();
    }
  });

  it("are made once and kept: the same fingerprints at the next start", () => {
    const dir = mkdtempSync(join(tmpdir(), "rosterbox-keys-"));
    const first = hostKeys(dir).map((k) => k.fingerprint);
    expect(first).toEqual([expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/), expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/)]);
    expect(hostKeys(dir).map((k) => k.fingerprint)).toEqual(first);
  });

  it("an unreadable host key on disk stops the start with its path and what to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "rosterbox-keys-"));
    mkdirSync(join(dir, "ssh"));
    writeFileSync(join(dir, "ssh", "host_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
    expect(() => hostKeys(dir)).toThrow(new RegExp(`^${join(dir, "ssh", "host_ed25519")}: .+; .*remove the file and a new key is made at the next start`));
  });
});
