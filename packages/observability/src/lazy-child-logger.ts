// Request loggers created on first use. Fastify makes a pino child logger (bound to the
// request id) for every request, and making one costs more than a probe's whole handler:
// pino serializes and redacts the bindings up front. Most probe and scrape requests never log
// a line, so the child is only made when something actually logs. Same lines, same fields.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];

class LazyChildLogger {
  #parent: FastifyBaseLogger;
  #bindings: Bindings;
  #options: ChildOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #real(): FastifyBaseLogger {
    if (this.#child === undefined) {
      // No options object unless there are options: pino's child() has a faster path then.
      this.#child =
        this.#options && Object.keys(this.#options).length > 0
          ? this.#parent.child(this.#bindings, this.#options)
          : this.#parent.child(this.#bindings);
    }
    return this.#child;
  }

  get level() {
    return this.#child?.level ?? (this.#options?.level as string | undefined) ?? this.#parent.level;
  }
  set level(level: string) {
    this.#real.level = level;
  }
  fatal(...args: Parameters<FastifyBaseLogger['fatal']>) {
    this.#real.fatal(...args);
  }
  error(...args: Parameters<FastifyBaseLogger['error']>) {
    this.#real.error(...args);
  }
  warn(...args: Parameters<FastifyBaseLogger['warn']>) {
    this.#real.warn(...args);
  }
  info(...args: Parameters<FastifyBaseLogger['info']>) {
    this.#real.info(...args);
  }
  debug(...args: Parameters<FastifyBaseLogger['debug']>) {
    this.#real.debug(...args);
  }
  trace(...args: Parameters<FastifyBaseLogger['trace']>) {
    this.#real.trace(...args);
  }
  silent(...args: Parameters<FastifyBaseLogger['silent']>) {
    this.#real.silent(...args);
  }
  child(...args: Parameters<FastifyBaseLogger['child']>): FastifyBaseLogger {
    return this.#real.child(...args);
  }
  /** Whether a real pino child exists yet (for tests). */
  get materialized(): boolean {
    return this.#child !== undefined;
  }
}

export const lazyChildLoggerFactory: ChildLoggerFactory = (logger, bindings, options) =>
  new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
