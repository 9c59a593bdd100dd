import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { recordKey, recordRange } from "./keys.ts";
import { openStore, type Store } from "./mod.ts";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("recordViews", () => {
  it("gives the value's own bytes and size, by range and by get", () => {
    store = openStore(tempDir("rosterbox-views-"));
    const text = "1\x1ejob\x1e0\x1eactive\x1esourcedId\x1fü1";
    store.recordTexts.putSync(recordKey("t", "users", "u1"), text);
    for (const { value } of store.recordViews.getRange(recordRange("t", "users"))) {
      expect(value.bytes.toString("utf8", 0, value.size)).toBe(text);
    }
    const one = store.recordViews.get(recordKey("t", "users", "u1"))!;
    expect(one.size).toBe(Buffer.byteLength(text));
    expect(one.bytes.toString("utf8", 0, one.size)).toBe(text);
  });
});
