import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ProviderControl } from './provider-control';

export interface ProviderProcess {
  url: string;
  child: ChildProcess;
  control: ProviderControl;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Built next to this file, so dist/src/main.js whichever package imports us. */
const MAIN = path.resolve(__dirname, 'main.js');
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const READY_LINE = /^payment provider listening on (\S+)$/m;
/** Enough of the output to explain a failed start. */
const KEPT_OUTPUT = 20_000;

/**
 * The provider as a separate process, the way the shop meets a real one. PORT is 0 (a free port)
 * unless `env` gives one; the rest of `env` is added to this process's environment.
 */
export async function startProviderProcess(env: Record<string, string> = {}): Promise<ProviderProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test run that dies without stop() must not leave the provider behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  let output = '';
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-KEPT_OUTPUT);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);

  const url = await new Promise<string>((resolve, reject) => {
    const fail = (reason: string) => {
      cleanUp();
      child.kill('SIGKILL');
      reject(new Error(`payment provider ${reason}; its output:\n${output}`));
    };
    const onData = () => {
      const ready = READY_LINE.exec(output);
      if (!ready?.[1]) return;
      cleanUp();
      resolve(ready[1]);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before it was ready (code ${code}, signal ${signal})`);
    const onError = (error: Error) => fail(`could not start: ${error.message}`);
    const timer = setTimeout(() => fail(`printed no ready line within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    const cleanUp = () => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  return { url, child, control: new ProviderControl(url), stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
