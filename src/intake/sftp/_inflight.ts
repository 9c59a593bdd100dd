/**
 * A per-connection cap on SFTP requests in flight (WRITEs waiting for the
 * disk; READs are answered at once, _session.ts). ssh2 has none: a client may
 * send thousands of WRITEs without waiting for replies, and each holds its
 * data until the disk has it. Requests beyond the cap wait in a queue and the
 * connection stops reading from its socket until half the cap is free again,
 * so TCP makes the client wait; nothing is refused — real clients (OpenSSH
 * keeps 64 in flight, `sftp -R` more) just go at the pace allowed.
 *
 * @module
 */

export class InFlight {
  #running = 0;
  #queue: ((done: () => void) => void)[] = [];
  #full = false;
  /** The most requests that were ever running at once. */
  peak = 0;

  /**
   * @param limit requests running at once
   * @param onFull the cap is reached: stop reading requests (pause the socket)
   * @param onRoom half the cap is free and nothing waits: read again
   */
  constructor(readonly limit: number, readonly onFull: () => void = () => {}, readonly onRoom: () => void = () => {}) {}

  /**
   * Starts `op` now, or once a running one is done; `op` calls `done` exactly once when its reply is sent.
   *
   * @example inFlight.run((done) => fs.write(fd, data, 0, data.length, pos, (err) => { reply(err); done(); }));
   */
  run(op: (done: () => void) => void): void {
    if (this.#running >= this.limit) {
      this.#queue.push(op);
      if (!this.#full) {
        this.#full = true;
        this.onFull();
      }
      return;
    }
    this.#start(op);
  }

  #start(op: (done: () => void) => void): void {
    this.#running++;
    if (this.#running > this.peak) this.peak = this.#running;
    let called = false;
    op(() => {
      if (called) return;
      called = true;
      this.#running--;
      const nextOp = this.#queue.shift();
      if (nextOp) return this.#start(nextOp);
      if (this.#full && this.#running <= this.limit / 2) {
        this.#full = false;
        this.onRoom();
      }
    });
  }
}
