import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The database reference: pgbench's simple-update transactions (-N: BEGIN, UPDATE, SELECT,
 * INSERT, COMMIT) from 8 clients for `seconds`, on a scratch database of the same server, with
 * synchronous commit as the services use it. Undefined (and why) when pgbench is not installed.
 */
export async function pgbenchTps(postgresUrl: string, seconds: number): Promise<{ tps?: number; note: string }> {
  const scratch = new URL(postgresUrl);
  scratch.pathname = `/shop_bench_pgbench_${process.pid}`;
  const admin = new URL(postgresUrl);
  admin.pathname = '/postgres';
  const database = scratch.pathname.slice(1);
  try {
    await run('psql', [admin.toString(), '-qc', `CREATE DATABASE "${database}"`]);
    await run('pgbench', ['-i', '-s', '1', '-q', scratch.toString()], { timeout: 120_000 });
    const { stdout } = await run('pgbench', ['-N', '-c', '8', '-j', '2', '-T', String(seconds), '-n', scratch.toString()], {
      timeout: (seconds + 60) * 1_000,
    });
    const tps = /tps = ([\d.]+)/.exec(stdout)?.[1];
    if (!tps) return { note: `pgbench printed no tps: ${stdout.slice(-200)}` };
    return { tps: Number(tps), note: `pgbench -N -c 8 -j 2 -T ${seconds}` };
  } catch (error) {
    return {
      note: `pgbench reference unavailable (${(error as Error).message.split('\n')[0]}); install pgbench (Debian: postgresql-client or postgresql-contrib)`,
    };
  } finally {
    await run('psql', [admin.toString(), '-qc', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`]).catch(() => undefined);
  }
}
