import { readdirSync, readFileSync } from 'node:fs';
import { SERVICE_NAMES } from '@shop/catalog';

export interface ServiceResources {
  service: string;
  pid: number;
  /** CPU time used between the two samples, as a share of one core. */
  cpuPercent: number;
  /** VmHWM: the highest resident set size the process reached. */
  peakRssMb: number;
}

/**
 * What the services' memory comes to together. Summed RSS counts the pages they share five times:
 * mostly the node binary's code and read-only data, about 50 MB mapped by every service from the
 * same file and held once by the kernel. The footprint counts them once: the sum of the private
 * pages plus the largest shared part, sampled while the load runs.
 */
export interface MemoryFootprint {
  /** Highest sum of the services' private resident pages (USS) seen in one sample. */
  peakPrivateMb: number;
  /** Highest private sum plus shared pages counted once, seen in one sample. */
  peakFootprintMb: number;
  samples: number;
}

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
      const service = SERVICE_NAMES.find(
        (name) =>
          cmdline.includes(`services/${name}/dist/src/main.js`) ||
          (cmdline.includes('dist/src/main.js') && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`OTEL_SERVICE_NAME=${name}`)),
      );
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

/**
 * Samples the services' private and shared resident memory (/proc/<pid>/smaps_rollup) every
 * `intervalMs` until `stop`; the kernel keeps no high-water mark for these as it does for RSS.
 * Reading smaps_rollup walks a process's page tables, several milliseconds for a service: every
 * 250 ms, the five of them cost the load generator about a fifth of its CPU, taken from the
 * machine it measures (a `perf` profile at 450 orders/s), hence once a second.
 */
export function watchMemory(services: Sample[], intervalMs = 1_000): { stop(): MemoryFootprint } {
  const peak: MemoryFootprint = { peakPrivateMb: 0, peakFootprintMb: 0, samples: 0 };
  const sample = () => {
    let privateKb = 0;
    let sharedKb = 0;
    for (const { pid } of services) {
      try {
        const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
        const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
        privateKb += field('Private_Clean') + field('Private_Dirty');
        sharedKb = Math.max(sharedKb, field('Shared_Clean') + field('Shared_Dirty'));
      } catch {
        // exited meanwhile, or not ours to read
      }
    }
    if (privateKb === 0) return;
    peak.samples += 1;
    peak.peakPrivateMb = Math.max(peak.peakPrivateMb, privateKb / 1024);
    peak.peakFootprintMb = Math.max(peak.peakFootprintMb, (privateKb + sharedKb) / 1024);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
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
    return [
      {
        service: end.service,
        pid: end.pid,
        cpuPercent: seconds > 0 ? ((end.ticks - start.ticks) / CLOCK_TICKS / seconds) * 100 : 0,
        peakRssMb,
      },
    ];
  });
}
