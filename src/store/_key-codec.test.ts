import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { open } from "lmdb";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { legacyKeyText } from "./_key-codec.ts";
import { recordKey, recordRange } from "./keys.ts";
import { openStore, type Store } from "./mod.ts";

const LONG_ID = "district-7/student/" + "9".repeat(90); // a legal sourcedId: safe characters, under 256
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("store keys", () => {
  it("a key of 64 characters or more stays inside its prefix range and reads back as a string", async () => {
    store = openStore(tempDir("rosterbox-keys-"));
    store.env.transactionSync(() => {
      store!.recordTexts.putSync(recordKey("strata", "users", "u1"), "short");
      store!.recordTexts.putSync(recordKey("strata", "users", LONG_ID), "long");
      store!.recordTexts.putSync(recordKey("strata", "usersx", "u9"), "another entity");
    });
    const range = [...store.recordTexts.getRange(recordRange("strata", "users"))];
    expect(range.map((e) => e.key)).toEqual([recordKey("strata", "users", LONG_ID), recordKey("strata", "users", "u1")]);
    expect(store.recordTexts.getKeysCount(recordRange("strata", "users"))).toBe(2);
    expect(store.recordTexts.get(recordKey("strata", "users", LONG_ID))).toBe("long");
  });

  it("refuses a key too long for LMDB instead of storing a cut one", async () => {
    store = openStore(tempDir("rosterbox-keys-"));
    expect(() => store!.recordTexts.putSync(recordKey("strata", "users", "x".repeat(3000)), "v")).toThrow(/too long|maximum key size/);
  });

  it("reads lmdb's default encoding back as text", () => {
    expect(legacyKeyText(Buffer.from("t\x04\x00users\x04\x00u1"))).toBe("t\x00users\x00u1");
    expect(legacyKeyText(Buffer.from("\x1b\x04\x01decision\x04\x00j1"))).toBe("\x01decision\x00j1");
    // Long keys were written raw, and plain UTF-8 keys are left as they are.
    expect(legacyKeyText(Buffer.from(`t\x00users\x00${LONG_ID}`))).toBe(`t\x00users\x00${LONG_ID}`);
    expect(legacyKeyText(Buffer.from("strata\x00users\x00é"))).toBe("strata\x00users\x00é");
  });
});

describe("a store written with lmdb's default key encoding", () => {
  it("is re-keyed on open: every key found, ranges whole, nothing lost", async () => {
    const dataDir = tempDir("rosterbox-keys-");
    mkdirSync(join(dataDir, "store"), { recursive: true });
    const old = open({ path: join(dataDir, "store"), maxDbs: 4096 });
    const records = old.openDB<string, string>({ name: "records", encoding: "string" });
    const jobs = old.openDB<unknown, string>({ name: "jobs" });
    const meta = old.openDB<unknown, string>({ name: "meta" });
    old.transactionSync(() => {
      for (let i = 0; i < 12_000; i++) records.putSync(recordKey("strata", "users", `u${i}`), `user ${i}`);
      records.putSync(recordKey("strata", "users", LONG_ID), "long");
      jobs.putSync("\x01decision\x00j1", { decision: "approve" });
      jobs.putSync("20261201T000000000Z-abcdef", { id: "j" });
      meta.putSync("seq\x00strata", 12_001);
    });
    await old.close();

    store = openStore(dataDir);
    expect(store.recordTexts.getKeysCount(recordRange("strata", "users"))).toBe(12_001);
    expect(store.recordTexts.get(recordKey("strata", "users", "u11999"))).toBe("user 11999");
    expect(store.recordTexts.get(recordKey("strata", "users", LONG_ID))).toBe("long");
    expect(store.jobs.get("\x01decision\x00j1")).toEqual({ decision: "approve" });
    expect(store.jobs.get("20261201T000000000Z-abcdef")).toEqual({ id: "j" });
    expect(store.meta.get("seq\x00strata")).toBe(12_001);
    const keys = [...store.recordTexts.getKeys(recordRange("strata", "users"))] as string[];
    expect(keys.every((k) => typeof k === "string" && k.startsWith("strata\x00users\x00"))).toBe(true);
    await store.close();

    // Opening again finds the marker and changes nothing.
    store = openStore(dataDir);
    expect(store.recordTexts.getKeysCount(recordRange("strata", "users"))).toBe(12_001);
  });
});
