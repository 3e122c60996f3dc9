import type { RunningService } from './start-service';

/**
 * The process lifecycle shared by every service's main.ts: start, then on SIGTERM or SIGINT stop
 * gracefully within `shutdownTimeoutMs`, exiting non-zero when the bound is exceeded.
 */
export function runMain(name: string, start: () => Promise<RunningService>, shutdownTimeoutMs: number): void {
  start().then(
    (service) => {
      const shutdown = (signal: string) => {
        service.logger.info({ signal }, 'shutdown requested');
        const timer = setTimeout(() => {
          service.logger.error({ shutdownTimeoutMs }, 'graceful shutdown took too long; exiting');
          service.logger.flush();
          process.exit(1);
        }, shutdownTimeoutMs);
        timer.unref();
        service.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            service.logger.error({ err: error }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    },
    (error: unknown) => {
      process.stderr.write(`${name}: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
