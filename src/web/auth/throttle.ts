/**
 * Sign-in throttling: after a few failures for one user name, or more for one address,
 * further attempts are refused for a while that doubles with each new
 * failure (capped), so guessing is slow whatever the attacker rotates.
 *
 * @module
 */

/** Failures allowed before a lock: per user name few, per address more (an office shares one address). */
const FREE_FAILURES = { user: 5, ip: 20 } as const;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;

interface Score {
  failures: number;
  until: number;
}

/**
 * @example
 * const t = new LoginThrottle();
 * if (t.lockedFor(["ip:10.0.0.7", "user:admin"]) > 0) refuse(); // keys start "ip:" or "user:"
 */
export class LoginThrottle {
  #scores = new Map<string, Score>();

  /** Milliseconds until any of `keys` may try again; 0 when free. */
  lockedFor(keys: string[], now = Date.now()): number {
    return Math.max(0, ...keys.map((k) => (this.#scores.get(k)?.until ?? 0) - now));
  }

  failed(keys: string[], now = Date.now()): void {
    for (const k of keys) {
      const s = this.#scores.get(k) ?? { failures: 0, until: 0 };
      s.failures++;
      const free = k.startsWith("ip:") ? FREE_FAILURES.ip : FREE_FAILURES.user;
      if (s.failures >= free) s.until = now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (s.failures - free));
      this.#scores.set(k, s);
    }
    // Bounded: forget the oldest scores rather than grow without end under a spray of addresses.
    while (this.#scores.size > 10_000) this.#scores.delete(this.#scores.keys().next().value!);
  }

  succeeded(keys: string[]): void {
    for (const k of keys) this.#scores.delete(k);
  }
}
