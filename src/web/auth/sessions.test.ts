import { afterEach, describe, expect, it } from "vitest";
import { openStore, tempDir } from "../../../test/_bundle.ts";
import type { Store } from "../../store/mod.ts";
import { findSession, openSession, pruneSessions, SESSION_MS } from "./sessions.ts";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("sessions", () => {
  it("pruning removes the expired ones and keeps the live ones", () => {
    store = openStore(tempDir("rosterbox-sessions-"));
    const now = Date.now();
    const old = openSession(store, "viewer1", "viewer", now - 2 * SESSION_MS);
    const live = openSession(store, "admin", "admin", now);
    // A session's key is 72 characters: it must fall inside the prefix range the pruning walks.
    expect(pruneSessions(store, now)).toBe(1);
    expect(findSession(store, old, now)).toBeUndefined();
    expect(findSession(store, live, now)).toMatchObject({ user: "admin", role: "admin" });
    expect(pruneSessions(store, now)).toBe(0);
  });
});
