import { parseProviderSettings } from './provider-settings';
import { startProvider } from './provider-server';

/** The provider as its own process: `node dist/src/main.js`, configured by the environment. */
async function main(): Promise<void> {
  const settings = parseProviderSettings(process.env);
  const provider = await startProvider({
    port: settings.port,
    host: settings.host,
    behaviour: settings.behaviour,
    ledgerFile: settings.ledgerFile,
  });
  const exit = () => process.exit(0);
  const stop = () => {
    // close() ends hung answers and latency waits at once; the timer only guards against a lingering socket.
    setTimeout(exit, 2_000).unref();
    provider.close().then(exit, exit);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The one line startProviderProcess (and a person) waits for.
  process.stdout.write(`payment provider listening on ${provider.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`payment provider: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
