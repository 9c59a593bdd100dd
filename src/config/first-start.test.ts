import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { DEFAULT_CONFIG } from "./default.ts";
import { withDefaultSecrets } from "./first-start.ts";
import { parseConfig, verifyPassword } from "./mod.ts";

describe("the embedded default's secrets", () => {
  it("are generated on the first start, shown once, stored only as hashes (0600), and kept after", async () => {
    const dir = tempDir();
    const config = parseConfig(DEFAULT_CONFIG, join(dir, "rosterbox.yaml"));
    const shown = await withDefaultSecrets(config);
    expect(shown!.admin).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(shown!.admin).not.toBe(shown!.sftp);
    expect(await verifyPassword(shown!.admin, config.web_users![0]!.password_hash)).toBe(true);
    expect(await verifyPassword(shown!.sftp, config.tenants[0]!.sftp_users![0]!.password_hash!)).toBe(true);
    const file = join(config.data_dir, "default-secrets.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = parseConfig(DEFAULT_CONFIG, join(dir, "rosterbox.yaml"));
    expect(await withDefaultSecrets(again)).toBeUndefined();
    expect(again.web_users![0]!.password_hash).toBe(config.web_users![0]!.password_hash);
  });
});
