/** A counting gate with a bounded FIFO queue and a deadline per waiter: the concurrency cap of an intake. */

interface Waiter {
  grant: (held: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** At most `slots` holders at once; at most `maxQueued` waiting, each until its deadline. */
export class Gate {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly slots: number,
    private readonly maxQueued: number,
  ) {}

  /** Holders now. */
  get held(): number {
    return this.active;
  }

  /** Waiters now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves `'held'` with a slot (call {@link release} once), `'full'` when the queue is full, or
   * `'timeout'` when no slot freed up within `waitMs`.
   */
  acquire(waitMs: number): Promise<'held' | 'full' | 'timeout'> {
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve('held');
    }
    if (this.waiting.length >= this.maxQueued) return Promise.resolve('full');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: (held) => resolve(held ? 'held' : 'timeout'),
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          waiter.grant(false);
        }, waitMs),
      };
      // A waiting request must not keep the process alive.
      waiter.timer.unref?.();
      this.waiting.push(waiter);
    });
  }

  /** Frees a slot: the oldest waiter gets it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.grant(true);
    } else {
      this.active--;
    }
  }
}
