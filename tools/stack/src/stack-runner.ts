import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { redactUrl } from '@shop/config';
import type { ServiceAccess } from '@shop/testing';
import { startProviderProcess, type ProviderProcess } from '@shop/payment-provider';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEmail, MailCatcher } from './mail-catcher';
import { runPreflightChecks } from './preflight-check';
import { provisionStackAccess } from './stack-access';
import { startMonitoring } from './stack-monitoring';
import { waitUntilReady } from './readiness-wait';
import { describeExit, ServiceProcess, stoppedCleanly } from './service-process';
import { linePrefix, stackOutput } from './stack-output';
import type { ServiceSettings, StackSettings } from './stack-settings';
import { summaryLine } from './stack-summary';

/**
 * Runs the five services until Ctrl-C or SIGTERM (exit code 0) or until something goes wrong
 * (non-zero): a failed preflight check, a service that dies, a stack not ready in time.
 */
export async function runStack(settings: StackSettings, repoRoot: string): Promise<number> {
  const problems = await runPreflightChecks(settings, repoRoot);
  if (problems.length > 0) {
    for (const problem of problems) stackOutput.error(problem);
    return 1;
  }

  // Each service runs as its own RabbitMQ user and PostgreSQL role, as under compose, with a new
  // password every run; the operator endpoints need OPERATOR_TOKEN, made up when not given.
  let access: Record<string, ServiceAccess>;
  try {
    access = await provisionStackAccess(settings);
  } catch (error) {
    stackOutput.error(
      `could not provision the services' users in ${redactUrl(settings.rabbitmqUrl)} and roles in ${redactUrl(settings.postgresUrl)}: ` +
        `${(error as Error).message} (RABBITMQ_URL and POSTGRES_URL must be an admin's and a superuser's)`,
    );
    return 1;
  }
  const operatorToken = process.env.OPERATOR_TOKEN || randomBytes(24).toString('base64url');
  // Left for `npm run load` and other tools of this checkout, readable by this user only.
  if (!process.env.OPERATOR_TOKEN) {
    mkdirSync(path.join(repoRoot, '.stack'), { recursive: true });
    const tokenFile = path.join(repoRoot, '.stack', 'operator-token');
    writeFileSync(tokenFile, `${operatorToken}\n`, { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
  }

  let mailCatcher: MailCatcher | undefined;
  if (!settings.smtpUrl) {
    const mailPrefix = linePrefix('mail', settings.services.length);
    mailCatcher = await MailCatcher.start(settings.mailCatcher.smtpPort, settings.mailCatcher.httpPort, (email) =>
      process.stdout.write(`${mailPrefix}${describeEmail(email)}\n`),
    );
  }
  const smtpUrl = settings.smtpUrl ?? mailCatcher?.smtpUrl;

  // The fake card provider, a process of its own as a real provider is remote; its PROVIDER_*
  // switches come from this environment.
  let provider: ProviderProcess | undefined;
  if (!settings.paymentProviderUrl) {
    try {
      provider = await startProviderProcess({ PORT: String(settings.paymentProviderPort) });
    } catch (error) {
      await mailCatcher?.close();
      stackOutput.error(
        `the fake card provider did not start on port ${settings.paymentProviderPort} (set PAYMENT_PROVIDER_PORT): ${(error as Error).message}`,
      );
      return 1;
    }
  }
  const outside = {
    smtpUrl,
    paymentProviderUrl: settings.paymentProviderUrl ?? provider?.url,
    // The live page links each order's email to the catcher's list, filtered to that order.
    liveMailUrl: process.env.LIVE_MAIL_URL ?? (mailCatcher ? `${mailCatcher.messagesUrl}?q={orderId}` : undefined),
  };

  const monitoring = await startMonitoring(settings, repoRoot);

  const services = settings.services.map(
    (service, index) =>
      new ServiceProcess({
        service: service.name,
        name: service.instance,
        colorIndex: index,
        repoRoot,
        participantNice: settings.participantNice,
        nodeArgs: settings.nodeArgs,
        env: serviceEnv(service, { ...outside, access: access[service.name]!, operatorToken }),
      }),
  );

  // Whatever ends the run (a signal, a dead service, readiness timing out) aborts this.
  const ending = new AbortController();
  let exitCode = 0;
  const end = (code: number, message?: string) => {
    if (ending.signal.aborted) return;
    if (message) (code === 0 ? stackOutput.info : stackOutput.error)(message);
    exitCode = code;
    ending.abort();
  };

  let signalsReceived = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalsReceived += 1;
    if (signalsReceived === 1) {
      end(0, `${signal}: stopping the services`);
    } else {
      stackOutput.error(`${signal} again: killing the services`);
      for (const service of services) service.kill();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  for (const service of services) {
    void service.exited.then((exit) => end(1, `the ${service.name} service ${describeExit(exit)} unexpectedly; stopping the stack`));
  }

  const readiness = await waitUntilReady(
    settings.services.map((service) => ({ name: service.instance, readyUrl: `http://127.0.0.1:${service.port}/readyz` })),
    settings.readyTimeoutMs,
    ending.signal,
  );
  if (readiness.ready) {
    stackOutput.info(
      summaryLine({
        settings,
        elapsedMs: performance.now(),
        mailCatcher: mailCatcher && { smtpUrl: mailCatcher.smtpUrl, messagesUrl: mailCatcher.messagesUrl },
        paymentProviderUrl: outside.paymentProviderUrl,
        fakeProvider: provider !== undefined,
        otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
        tracingDisabled: process.env.OTEL_SDK_DISABLED === 'true',
        monitoring: monitoring.describe(),
        operatorToken: process.env.OPERATOR_TOKEN ? undefined : operatorToken,
      }),
    );
  } else if (!ending.signal.aborted) {
    const which = readiness.notReady.map(({ name, reason }) => `${name} (${reason})`).join(', ');
    end(1, `not ready after ${settings.readyTimeoutMs / 1000} s: ${which}`);
  }

  if (!ending.signal.aborted) await new Promise((resolve) => ending.signal.addEventListener('abort', resolve, { once: true }));
  const stopped = await stopServices(services, settings.stopTimeoutMs);
  await mailCatcher?.close();
  await provider?.stop();
  await monitoring.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (!stopped && exitCode === 0) exitCode = 1;
  if (exitCode === 0) stackOutput.info('stopped');
  return exitCode;
}

/** Everything from the stack's own environment (OTEL_* included), plus what is per service. */
function serviceEnv(
  service: ServiceSettings,
  {
    smtpUrl,
    paymentProviderUrl,
    liveMailUrl,
    access,
    operatorToken,
  }: {
    smtpUrl: string | undefined;
    paymentProviderUrl: string | undefined;
    liveMailUrl: string | undefined;
    access: ServiceAccess;
    operatorToken: string;
  },
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(service.port),
    OTEL_EXPORTER_PROMETHEUS_HOST: process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(service.metricsPort),
    RABBITMQ_URL: access.rabbitmqUrl,
    DATABASE_URL: access.databaseUrl,
    OPERATOR_TOKEN: operatorToken,
    OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? service.name,
    // Replicas share the service's name; each has its own instance id in its spans and metrics.
    OTEL_RESOURCE_ATTRIBUTES: [process.env.OTEL_RESOURCE_ATTRIBUTES, `service.instance.id=${service.instance}`].filter(Boolean).join(','),
    ...(service.name === 'email' && smtpUrl ? { SMTP_URL: smtpUrl } : {}),
    ...(service.name === 'payment' && paymentProviderUrl ? { PAYMENT_PROVIDER_URL: paymentProviderUrl } : {}),
    ...(service.name === 'order' && liveMailUrl !== undefined ? { LIVE_MAIL_URL: liveMailUrl } : {}),
  };
}

/**
 * SIGTERM to every service still running, then waits up to `timeoutMs` and kills what is left.
 * True when every service that was running stopped cleanly.
 */
async function stopServices(services: ServiceProcess[], timeoutMs: number): Promise<boolean> {
  const stopping = services.filter((service) => service.running);
  for (const service of stopping) service.stop();
  const timer = new AbortController();
  const allExited = Promise.all(stopping.map((service) => service.exited)).then(() => true);
  const timedOut = sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false);
  const inTime = await Promise.race([allExited, timedOut]);
  timer.abort();
  let clean = true;
  if (!inTime) {
    for (const service of stopping.filter((s) => s.running)) {
      stackOutput.error(`the ${service.name} service did not stop within ${Math.round(timeoutMs / 1000)} s; killing it`);
      service.kill();
      clean = false;
    }
  }
  for (const service of stopping) {
    const exit = await service.exited;
    if (inTime && !stoppedCleanly(exit)) {
      stackOutput.error(`the ${service.name} service ${describeExit(exit)} while stopping`);
      clean = false;
    }
  }
  return clean;
}
