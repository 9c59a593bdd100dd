/**
 * An SIS's nightly delivery as tests make it: a key pair, a tenant config
 * with that key, and the OneRoster bundle plus its `.done` manifest put
 * over SFTP with the OpenSSH client.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DISTRICT } from "./_bundle.ts";

/** Makes `dir/id_ed25519` and returns the config (SFTP and HTTP on free ports) of tenant `strata` with that key. */
export function sftpTenantConfig(dir: string, env?: NodeJS.ProcessEnv): { key: string; yaml: string } {
  const key = join(dir, "id_ed25519");
  const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "sis@test", "-f", key], { env });
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
  const yaml = `data_dir: ${join(dir, "data")}
sftp: { listen: "127.0.0.1:0" }
http: { listen: "127.0.0.1:0" }
tenants:
  - id: strata
    sftp_users:
      - { username: strata-sis, authorized_keys: ["${readFileSync(`${key}.pub`, "utf8").trim()}"] }
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
`;
  return { key, yaml };
}

/** Puts DISTRICT, its manifest.csv and `nightly.done` into `OneRoster/` with OpenSSH sftp (key auth); returns sftp's result. */
export function putBundleOverSftp(dir: string, port: number, key: string, env?: NodeJS.ProcessEnv) {
  const local = join(dir, "upload");
  mkdirSync(local, { recursive: true });
  const files = { ...DISTRICT, "manifest.csv": "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n" + Object.keys(DISTRICT).map((f) => `file.${f.replace(".csv", "")},bulk`).join("\n") + "\n" };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(local, name), content);
  writeFileSync(join(local, "nightly.done"), `<manifest>${Object.keys(files).map((n) => `<file name="${n}" checksum="" checksumhashtype="none"/>`).join("")}</manifest>`);
  writeFileSync(join(dir, "batch"), `cd OneRoster\n${Object.keys(files).map((n) => `put ${n}`).join("\n")}\nput nightly.done\n`);
  return spawnSync("sftp", ["-b", join(dir, "batch"), "-i", key, "-P", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "strata-sis@127.0.0.1"], { cwd: local, env, encoding: "utf8", timeout: 60_000 });
}
