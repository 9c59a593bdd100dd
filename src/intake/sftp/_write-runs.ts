/**
 * An upload's WRITEs, gathered: those that arrive in one turn of the event
 * loop and continue one another go to the disk in one `writev`.
 *
 * Each WRITE handed to the thread pool on its own cost more than the write
 * itself: a request object, the pool's queue and wake-up, a callback — ≈150,000
 * futex calls for the 30,000 WRITEs of a 1 GiB upload, about 1.5 s of the SFTP
 * thread's CPU per GiB. Gathered, the same upload took 20 % less CPU and went
 * 20 % faster (A/B, 1 GiB, OpenSSH client). A WRITE that does not continue the
 * run (a client writing out of order, or resuming) starts a new one.
 *
 * @module
 */
import { writev } from "node:fs";

/** Called once per WRITE, when its bytes are written (or failed). */
export type WriteReply = (err: NodeJS.ErrnoException | null) => void;

interface Run {
  start: number;
  end: number;
  bufs: Buffer[];
  replies: WriteReply[];
}

/**
 * One open upload's pending runs.
 *
 * @example
 * const runs = new WriteRuns(fd);
 * runs.add(0, chunk, (err) => reply(reqid, err));
 */
export class WriteRuns {
  #run: Run | undefined;
  /** How many `writev`s were made: what tests check the gathering by. */
  writes = 0;

  /** `max`: WRITEs in one writev (16 × 32 KiB = 512 KiB, well under IOV_MAX). */
  constructor(readonly fd: number, readonly max = 16) {}

  /** Queues `data` for `offset`; `reply` runs once it is on its way to the disk's cache (or failed). */
  add(offset: number, data: Buffer, reply: WriteReply): void {
    const run = this.#run;
    if (run && run.end === offset && run.bufs.length < this.max) {
      run.bufs.push(data);
      run.end += data.length;
      run.replies.push(reply);
      return;
    }
    if (run) this.flush();
    const next: Run = { start: offset, end: offset + data.length, bufs: [data], replies: [reply] };
    this.#run = next;
    // WRITEs parsed in this turn join the run; then it goes.
    setImmediate(() => {
      if (this.#run === next) this.flush();
    });
  }

  /** Sends the open run now. */
  flush(): void {
    const run = this.#run;
    if (!run) return;
    this.#run = undefined;
    this.writes++;
    writev(this.fd, run.bufs, run.start, (err) => {
      for (const reply of run.replies) reply(err);
    });
  }
}
