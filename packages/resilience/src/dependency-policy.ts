import {
  CircuitState,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  isTaskCancelledError,
  retry,
  SamplingBreaker,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import type { Logger } from '@shop/logger';

export interface BreakerSettings {
  /** Share of failed calls (0..1) over the window that opens the circuit. */
  failureRatio: number;
  windowMs: number;
  /** Fewer calls per second than this never open it: one bad request on a quiet system is not an outage. */
  minimumRps: number;
  /** How long the circuit stays open before a probe may test the dependency. */
  halfOpenAfterMs: number;
}

export interface DependencyPolicyOptions {
  /** Names the dependency in logs and errors: `payment-provider`, `smtp`. */
  name: string;
  logger: Logger;
  /** The limit of each attempt. */
  timeoutMs: number;
  /** Attempts per call, the first included; only timeouts and transient failures are tried again. */
  attempts: number;
  /** The first wait between attempts; each next one is drawn with jitter, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  breaker: BreakerSettings;
  /** Failures that say the dependency is unwell: tried again, and counted by the breaker. Others (a decline, a 400) pass through. */
  isTransient(error: unknown): boolean;
  /** A cheap call made while the circuit is open, to find out whether the dependency is back. */
  probe(signal: AbortSignal): Promise<unknown>;
}

/** The dependency did not answer one attempt in time. Transient: the caller may try again. */
export class DependencyTimeoutError extends Error {
  constructor(dependency: string, timeoutMs: number) {
    super(`${dependency} did not answer within ${timeoutMs} ms`);
    this.name = 'DependencyTimeoutError';
  }
}

/** The circuit is open: the call was not made. */
export class DependencyUnavailableError extends Error {
  constructor(dependency: string) {
    super(`${dependency} is unavailable (circuit open); the call was not made`);
    this.name = 'DependencyUnavailableError';
  }
}

export interface CallContext {
  /** Aborted when the attempt times out: pass it to the client, so the request is cancelled. */
  signal: AbortSignal;
  /** 1 for the first attempt. */
  attempt: number;
}

/**
 * How the shop calls a dependency outside it (the card provider, the mail server), with cockatiel:
 * a timeout on each attempt, retries with exponential backoff and decorrelated jitter for
 * timeouts and transient failures only, and a circuit breaker over the attempts. While the
 * circuit is open, calls fail at once, `paused` is true (a consumer given this policy as its
 * `pauseWhen` stops taking messages) and a probe tests the dependency every `halfOpenAfterMs`;
 * the first probe that succeeds closes the circuit.
 */
export class DependencyPolicy {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly attemptTimeout: TimeoutPolicy;
  private readonly call_: <T>(work: (context: CallContext) => Promise<T>) => Promise<T>;
  private readonly listeners = new Set<(paused: boolean) => void>();
  private probeTimer?: NodeJS.Timeout;
  private wasPaused = false;

  constructor(private readonly options: DependencyPolicyOptions) {
    const { logger, name } = options;
    const counted = handleWhen((error) => isTaskCancelledError(error) || options.isTransient(error));
    this.attemptTimeout = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
    const { failureRatio, windowMs, minimumRps, halfOpenAfterMs } = options.breaker;
    this.breaker = circuitBreaker(counted, {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new SamplingBreaker({ threshold: failureRatio, duration: windowMs, minimumRps }),
    });
    const retries = retry(counted, {
      maxAttempts: Math.max(0, options.attempts - 1),
      backoff: new ExponentialBackoff({ initialDelay: options.backoffMs, maxDelay: options.maxBackoffMs }),
    });
    retries.onRetry((event) => {
      const reason = 'error' in event ? describe(event.error) : 'unexpected result';
      logger.info({ dependency: name, reason, delayMs: Math.round(event.delay), attempt: event.attempt + 1 }, 'call failed; trying again');
    });
    retries.onGiveUp((event) => {
      if ('error' in event && !isBrokenCircuitError(event.error)) {
        logger.warn({ dependency: name, reason: describe(event.error) }, 'call failed; no attempts left');
      }
    });
    this.breaker.onBreak(() => logger.warn({ dependency: name }, 'circuit opened: calls stop until a probe succeeds'));
    this.breaker.onHalfOpen(() => logger.info({ dependency: name }, 'circuit half-open: probing'));
    this.breaker.onReset(() => logger.info({ dependency: name }, 'circuit closed: calls resume'));
    this.breaker.onStateChange(() => this.stateChanged());
    const policy = wrap(retries, this.breaker, this.attemptTimeout);
    this.call_ = (work) => policy.execute(({ signal, attempt }) => work({ signal, attempt: attempt + 1 }));
  }

  /** Calls the dependency: attempts with timeouts, backoff between them, none while the circuit is open. */
  async call<T>(work: (context: CallContext) => Promise<T>): Promise<T> {
    try {
      return await this.call_(work);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** True while the circuit is not closed: the dependency is failing, or being probed. */
  get paused(): boolean {
    return this.breaker.state !== CircuitState.Closed;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    return this.breaker.state === CircuitState.Closed ? 'closed' : this.breaker.state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  onChange(listener: (paused: boolean) => void): void {
    this.listeners.add(listener);
  }

  /**
   * The longest one call can take, every attempt timing out and every backoff at its longest:
   * a request sent by a call that started earlier than this has been given up on.
   */
  get maxCallDurationMs(): number {
    const { attempts, timeoutMs, maxBackoffMs } = this.options;
    return attempts * timeoutMs + Math.max(0, attempts - 1) * maxBackoffMs;
  }

  /** Stops the probe timer (service shutdown). */
  stop(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private stateChanged(): void {
    const paused = this.paused;
    if (this.breaker.state === CircuitState.Open && !this.probeTimer) {
      // Tried often; the breaker lets a probe through only once halfOpenAfterMs has passed.
      this.probeTimer = setInterval(() => void this.probe(), Math.max(50, this.options.breaker.halfOpenAfterMs / 4));
      this.probeTimer.unref();
    }
    if (this.breaker.state === CircuitState.Closed) this.stop();
    if (paused !== this.wasPaused) {
      this.wasPaused = paused;
      for (const listener of this.listeners) listener(paused);
    }
  }

  /** One test call through the breaker: it is let through once the circuit may half-open. */
  private async probe(): Promise<void> {
    try {
      await this.breaker.execute(() => this.attemptTimeout.execute(({ signal }) => this.options.probe(signal)));
    } catch (error) {
      if (!isBrokenCircuitError(error))
        this.options.logger.info({ dependency: this.options.name, reason: describe(this.translate(error)) }, 'probe failed');
    }
  }

  private translate(error: unknown): unknown {
    if (isTaskCancelledError(error)) return new DependencyTimeoutError(this.options.name, this.options.timeoutMs);
    if (isBrokenCircuitError(error)) return new DependencyUnavailableError(this.options.name);
    return error;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
