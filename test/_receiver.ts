/**
 * The receiving end of an export push, as tests make it: rosterbox's own
 * SFTP server in-process, one tenant (`sis`) whose user `rosterbox` logs in
 * with a key made here, and its feed folder `Inbox`.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../src/config/mod.ts";
import { ensureDropTree } from "../src/inbox/droptree.ts";
import { startSftpServer, type SftpServer } from "../src/intake/sftp/mod.ts";
import { tempDir } from "./_bundle.ts";

export interface Receiver {
  server: SftpServer;
  /** The private key the pushing side logs in with. */
  key: string;
  /** Where pushed files land on disk. */
  inbox: string;
}

/** Starts a receiver; `sftp` is more of its `sftp:` settings (`max_requests_in_flight: 1`). The caller closes `server`. */
export async function startReceiver(sftp = ""): Promise<Receiver> {
  const remote = tempDir("rosterbox-remote-");
  const key = join(remote, "push_key");
  const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
  const config = parseConfig(`data_dir: ${join(remote, "data")}
sftp: { listen: "127.0.0.1:0"${sftp ? `, ${sftp}` : ""} }
tenants:
  - id: sis
    sftp_users:
      - { username: rosterbox, authorized_keys: ["${readFileSync(`${key}.pub`, "utf8").trim()}"] }
    feeds:
      - { folder: Inbox, format: delimited, entity: users, submission: upload, fields: [{ from: a, to: sourcedId }] }
`, join(remote, "r.yaml"), {});
  ensureDropTree(config);
  const server = await startSftpServer(config, () => {});
  return { server, key, inbox: join(remote, "data", "tenants", "sis", "Inbox") };
}
