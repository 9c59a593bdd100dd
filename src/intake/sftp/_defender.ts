/**
 * The defender: scores failed logins per address and bans an address that
 * fails too often, for a time that doubles with each ban. ssh2 itself has no
 * such limit.
 *
 * @module
 */

interface Score {
  failures: number;
  bans: number;
  bannedUntil: number;
}

/**
 * @example
 * const defender = new Defender(10, 300_000);
 * if (defender.banned(ip)) client.end(); … defender.failed(ip);
 */
export class Defender {
  #scores = new Map<string, Score>();

  constructor(readonly maxFailures: number, readonly banMs: number, readonly now: () => number = Date.now) {}

  /** Whether `ip` is banned now. */
  banned(ip: string): boolean {
    const s = this.#scores.get(ip);
    return s !== undefined && s.bannedUntil > this.now();
  }

  /** Records a failed login; returns the ban's end when this failure bans the address. */
  failed(ip: string): number | undefined {
    const s = this.#scores.get(ip) ?? { failures: 0, bans: 0, bannedUntil: 0 };
    this.#scores.set(ip, s);
    s.failures++;
    if (s.failures < this.maxFailures) return undefined;
    s.failures = 0;
    s.bannedUntil = this.now() + this.banMs * 2 ** s.bans++;
    return s.bannedUntil;
  }

  /** A successful login clears the address's failures (not its ban history). */
  succeeded(ip: string): void {
    const s = this.#scores.get(ip);
    if (s) s.failures = 0;
  }
}
