/**
 * Pushing an export file to a remote SFTP server (the receiving system's
 * drop box), with the ssh2 client: key authentication only, and the server
 * must present the host key whose SHA256 fingerprint the config names —
 * no trust on first use. The file is written as `NAME.filepart` and
 * renamed into place, so the receiver never picks up half a file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import ssh2 from "ssh2";
import type { ExportPush } from "../config/mod.ts";

/** `SHA256:…` of a host key blob, as `ssh-keygen -l` prints it. */
function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Uploads `file` into `push.folder` on the remote server; resolves with the remote path.
 * `timeoutMs` bounds the connection and login, and then each wait for the
 * transfer to move on: a large file may take as long as it needs while it moves.
 *
 * @example await pushFile("/data/tenants/strata/exports/registrations_20261124.csv", profile.push!)
 */
export function pushFile(file: string, push: ExportPush, timeoutMs = 30_000): Promise<string> {
  const folder = (push.folder ?? ".").replace(/\/+$/, "") || "/";
  const name = basename(file);
  const remote = `${folder}/${name}`;
  // WinSCP's convention, which receivers know to leave alone until the rename (a hidden name may be refused).
  const partial = `${folder}/${name}.filepart`;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let seen = "";
    const fail = (err: Error) => {
      clearTimeout(timer);
      client.end();
      reject(err);
    };
    let timer = setTimeout(() => fail(new Error(`no answer from ${push.host} within ${timeoutMs / 1000} s`)), timeoutMs);
    const moving = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new Error(`SFTP push to ${push.host}: the transfer stopped moving for ${timeoutMs / 1000} s; nothing was put in place`)), timeoutMs);
    };
    client.on("error", (err: Error) => {
      clearTimeout(timer);
      reject(seen && seen !== push.host_fingerprint
        ? new Error(`${push.host} presented host key ${seen}, not the configured ${push.host_fingerprint}; nothing was sent`)
        : new Error(`SFTP push to ${push.host}: ${err.message}`));
    });
    client.on("ready", () => {
      moving();
      client.sftp((err, sftp) => {
        if (err) return fail(err);
        sftp.fastPut(file, partial, { step: moving }, (putErr) => {
          if (putErr) return fail(new Error(`SFTP push to ${push.host}: writing ${partial}: ${putErr.message}`));
          moving();
          sftp.rename(partial, remote, (renameErr) => {
            clearTimeout(timer);
            if (renameErr) return fail(new Error(`SFTP push to ${push.host}: renaming into ${remote}: ${renameErr.message}`));
            client.end();
            resolve(remote);
          });
        });
      });
    });
    client.connect({
      host: push.host,
      port: push.port ?? 22,
      username: push.username,
      privateKey: readFileSync(push.private_key),
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        return seen === push.host_fingerprint;
      },
    });
  });
}
