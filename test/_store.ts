/**
 * A fresh data dir with its store open for each test of the file (or
 * `describe` block) that asks for one, closed after the test.
 *
 * @module
 */
import { afterEach, beforeEach } from "vitest";
import type { Store } from "../src/store/mod.ts";
import { openStore, tempDir } from "./_bundle.ts";

/**
 * Registers the `beforeEach` that makes them (handing them to `use`) and the `afterEach` that closes the store.
 *
 * @example let store: Store; let dataDir: string; storePerTest((d, s) => ((dataDir = d), (store = s)));
 */
export function storePerTest(use: (dataDir: string, store: Store) => void): void {
  let store: Store | undefined;
  beforeEach(() => {
    const dataDir = tempDir("rosterbox-data-");
    store = openStore(dataDir);
    use(dataDir, store);
  });
  afterEach(async () => {
    await store?.close();
  });
}
