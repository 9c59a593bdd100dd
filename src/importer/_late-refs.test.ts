import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { PENDING_RANGE, rejectedKey, stagedKey } from "../store/keys.ts";
import { openStore, type Store } from "../store/mod.ts";
import { LateRefs } from "./_late-refs.ts";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("LateRefs", () => {
  it("rejects, once each, the rows whose reference never arrived, and keeps nothing else", () => {
    store = openStore(tempDir("rosterbox-late-"));
    const staging = store.staging("job1");
    const late = new LateRefs(staging);
    late.add("orgs", "s1", { field: "parentSourcedId", entity: "orgs", id: "d1" });
    late.add("orgs", "s2", { field: "parentSourcedId", entity: "orgs", id: "gone" });
    late.add("enrollments", "e1", { field: "userSourcedId", entity: "users", id: "u9" });
    late.add("enrollments", "e1", { field: "classSourcedId", entity: "classes", id: "k9" });
    const there = new Set(["orgs d1"]);
    const asked: string[] = [];
    const rejected = store.env.transactionSync(() => late.settle((entity, id) => (asked.push(`${entity} ${id}`), there.has(`${entity} ${id}`))));
    expect(rejected).toBe(2);
    expect(asked).toEqual(["orgs d1", "orgs gone", "users u9", "classes k9"]);
    const why = (entity: string, id: string) => {
      const b = staging.getBinary(rejectedKey(stagedKey(entity, id)));
      return b === undefined ? undefined : Buffer.from(b).toString("utf8");
    };
    expect(why("orgs", "s1")).toBeUndefined();
    expect(why("orgs", "s2")).toBe('parentSourcedId: orgs "gone" is not in this package nor in the store; add it to orgs or correct the reference');
    // The first missing reference names the row's rejection.
    expect(why("enrollments", "e1")).toMatch(/^userSourcedId: users "u9" is not in this package/);
    expect([...staging.getRange(PENDING_RANGE)]).toHaveLength(0);
  });
});
