/**
 * The order jobs run in (CONTRACT.md, File naming and order): one job at a
 * time per tenant, in the order received, so that where two submissions
 * change the same record the later wins; different tenants in parallel, up
 * to a limit, so a 2-core box is not swamped.
 *
 * @module
 */

export interface QueuedJob {
  id: string;
  tenant: string;
}

/**
 * Runs `run(job)` for queued jobs: FIFO within a tenant, at most
 * `parallel` tenants at once, the oldest waiting tenant first.
 *
 * @example
 * const queue = new JobQueue(2, (job) => runImportJob(job));
 * queue.add({ id: "j1", tenant: "strata" });
 * await queue.idle();
 */
export class JobQueue<J extends QueuedJob> {
  #waiting = new Map<string, J[]>();
  /** Tenants in the order their oldest waiting job arrived. */
  #order: string[] = [];
  #running = new Set<string>();
  #idle: (() => void)[] = [];
  #stopped = false;

  constructor(
    readonly parallel: number,
    readonly run: (job: J) => Promise<void>,
    readonly onError: (job: J, err: unknown) => void = () => {},
  ) {
    if (!(parallel >= 1)) throw new Error("a job queue runs at least one tenant at a time");
  }

  /** Queues a job behind the tenant's earlier ones. */
  add(job: J): void {
    let list = this.#waiting.get(job.tenant);
    if (!list) {
      this.#waiting.set(job.tenant, (list = []));
      if (!this.#running.has(job.tenant)) this.#order.push(job.tenant);
    }
    list.push(job);
    this.#pump();
  }

  /** Jobs waiting (not running) for a tenant, oldest first. */
  waiting(tenant: string): readonly J[] {
    return this.#waiting.get(tenant) ?? [];
  }

  /** Whether a job of the tenant is running now. */
  busy(tenant: string): boolean {
    return this.#running.has(tenant);
  }

  /** Starts nothing new; running jobs finish. */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves when nothing runs and nothing waits (or, once stopped, when nothing runs). */
  idle(): Promise<void> {
    if (this.#running.size === 0 && (this.#stopped || this.#order.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.parallel) {
      const tenant = this.#order.find((t) => !this.#running.has(t));
      if (tenant === undefined) break;
      this.#order.splice(this.#order.indexOf(tenant), 1);
      const list = this.#waiting.get(tenant)!;
      const job = list.shift()!;
      if (list.length === 0) this.#waiting.delete(tenant);
      this.#running.add(tenant);
      void this.run(job)
        .catch((err) => this.onError(job, err))
        .finally(() => {
          this.#running.delete(tenant);
          // The tenant's next job goes to the back of the line of tenants.
          if (this.#waiting.has(tenant)) this.#order.push(tenant);
          this.#pump();
          if (this.#running.size === 0 && (this.#stopped || this.#order.length === 0)) {
            for (const resolve of this.#idle.splice(0)) resolve();
          }
        });
    }
  }
}
