import { readdirSync, readFileSync } from 'node:fs';

export interface ServiceResources {
  service: string;
  pid: number;
  /** CPU time used between the two samples, as a share of one core. */
  cpuPercent: number;
  /** VmHWM: the highest resident set size the process reached. */
  peakRssMb: number;
}

const SERVICES = ['order', 'inventory', 'payment', 'warehouse', 'email'];
const CLOCK_TICKS = 100; // USER_HZ on Linux

interface Sample {
  pid: number;
  service: string;
  ticks: number;
  at: number;
}

/**
 * Finds the services' processes on this machine through /proc (the native stack, or containers
 * on a Linux host) and samples their CPU ticks; nothing is reported where /proc is not readable.
 */
export function sampleServices(): Sample[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const samples: Sample[] = [];
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const service = SERVICES.find((name) => cmdline.includes(`services/${name}/dist/src/main.js`) || (cmdline.includes('dist/src/main.js') && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`OTEL_SERVICE_NAME=${name}`)));
      if (!service) continue;
      samples.push({ pid: Number(pid), service, ticks: cpuTicks(pid), at: performance.now() });
    } catch {
      // gone, or not ours to read
    }
  }
  return samples;
}

function cpuTicks(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

export function resourcesBetween(before: Sample[], after: Sample[]): ServiceResources[] {
  return after.flatMap((end) => {
    const start = before.find((s) => s.pid === end.pid);
    if (!start) return [];
    let peakRssMb = 0;
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${end.pid}/status`, 'utf8'));
      peakRssMb = Number(hwm?.[1] ?? 0) / 1024;
    } catch {
      // exited meanwhile
    }
    const seconds = (end.at - start.at) / 1_000;
    return [{ service: end.service, pid: end.pid, cpuPercent: seconds > 0 ? ((end.ticks - start.ticks) / CLOCK_TICKS / seconds) * 100 : 0, peakRssMb }];
  });
}
