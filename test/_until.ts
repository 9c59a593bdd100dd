/**
 * Waiting in tests for what another process does: polls `probe` until it
 * returns something truthy, or fails naming what it waited for.
 *
 * @module
 */
export async function until<T>(what: string, probe: () => T | undefined | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
