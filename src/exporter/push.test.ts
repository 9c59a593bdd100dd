import { randomBytes, createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { startReceiver } from "../../test/_receiver.ts";
import { pushFile } from "./push.ts";

describe("pushFile", () => {
  it("takes as long as a large file needs while it moves: the timeout is for the login and each wait", async () => {
    // Rosterbox's own SFTP server, one request in flight at a time, so a 96 MB file takes seconds.
    const { server, key, inbox } = await startReceiver("max_requests_in_flight: 1");
    try {
      const file = join(tempDir(), "registrations.csv");
      const body = randomBytes(96 * 1024 * 1024);
      writeFileSync(file, body);
      const push = { host: "127.0.0.1", port: server.port, username: "rosterbox", private_key: key, host_fingerprint: server.fingerprints[0]!, folder: "/Inbox" };
      const started = Date.now();
      await expect(pushFile(file, push, 1500)).resolves.toBe("/Inbox/registrations.csv");
      const took = Date.now() - started;
      const arrived = readFileSync(join(inbox, "registrations.csv"));
      expect(createHash("md5").update(arrived).digest("hex")).toBe(createHash("md5").update(body).digest("hex"));
      // Longer than the timeout, or the test proves nothing (the machine was too fast for it).
      expect(took).toBeGreaterThan(1500);
    } finally {
      await server.close();
    }
  }, 60_000);
});
