import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderApp } from './provider-app';
import type { ProviderOptions, ProviderState } from './provider-state';

export interface StartProviderOptions extends ProviderOptions {
  /** 0 (the default here) picks a free port. */
  port?: number;
  host?: string;
}

export interface RunningProvider {
  url: string;
  state: ProviderState;
  close(): Promise<void>;
}

/** The provider in this process, listening: what tests use, and what main.ts runs. */
export async function startProvider(options: StartProviderOptions = {}): Promise<RunningProvider> {
  const { app, state } = createProviderApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    state,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hung answers and latency waits would otherwise hold the server open until their clients give up.
        state.pending.closeAll();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
