// A background loop over a table of work (the payment-event inbox, the compensations due):
// runs on an interval and when poked, never twice at once in this process, keeps going while
// batches come back full, and finishes the batch in flight on stop. Several replicas may poll
// the same table; the claims (SKIP LOCKED under a lease) keep them from taking the same row.

export interface PollerOptions {
  /** Processes one batch; returns how many rows it took. */
  runOnce: () => Promise<number>;
  batchSize: number;
  /** 0: only when poked. */
  intervalMs: number;
  name: string;
  log: { error(obj: object, msg: string): void };
}

export function createPoller(o: PollerOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  /** Runs now (or right after the run in progress); resolves when nothing due is left. */
  function poke(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while ((await o.runOnce()) === o.batchSize && !stopped) {
            // a full batch: there may be more
          }
        } while (again && !stopped);
      } catch (err) {
        o.log.error({ err, poller: o.name }, 'poller batch failed; the next tick retries');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    poke,
    start() {
      if (o.intervalMs > 0) timer = setInterval(() => void poke(), o.intervalMs).unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
