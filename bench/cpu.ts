import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * What each process of the local stack took of the machine's cores, sampled from /proc (Linux):
 * the bench says how busy the machine was while it timed something, rather than guess. Processes
 * are named by a pattern of their command line, or by pid; one that starts during a span counts
 * from its start, one that ends before its end is not measured (null). Elsewhere than Linux nothing
 * is sampled and every share is null.
 */
export class CpuSampler {
  private readonly samples: Array<{ at: number; ticks: Record<string, number> }> = [];
  private readonly timer: NodeJS.Timeout | null;
  private readonly ticksPerSecond: number;

  constructor(
    private readonly processes: Record<string, RegExp | number>,
    everyMs = 250,
  ) {
    const linux = process.platform === 'linux';
    this.ticksPerSecond = linux ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) : 0;
    this.timer = linux ? setInterval(() => this.sample(), everyMs) : null;
    if (linux) this.sample();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Each process's share of one core between two instants (epoch ms), in %, from the samples nearest them. */
  shareBetween(from: number, to: number): Record<string, number | null> {
    const first = this.samples.find((sample) => sample.at >= from);
    const last = this.samples.findLast((sample) => sample.at <= to);
    const shares: Record<string, number | null> = {};
    for (const name of Object.keys(this.processes)) {
      // Not measured: no samples in the span, or the process had ended by its last.
      if (!first || !last || last.at <= first.at || last.ticks[name] === undefined) {
        shares[name] = null;
        continue;
      }
      const ticks = (last.ticks[name] ?? 0) - (first.ticks[name] ?? 0);
      shares[name] = Math.round((100 * ticks) / this.ticksPerSecond / ((last.at - first.at) / 1000));
    }
    return shares;
  }

  private sample(): void {
    const ticks: Record<string, number> = {};
    for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      try {
        const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        const name = Object.entries(this.processes).find(([, which]) => (typeof which === 'number' ? which === Number(pid) : which.test(commandLine)))?.[0];
        if (!name) continue;
        // utime and stime, the 14th and 15th fields, after the command name in parentheses (which may hold spaces).
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks[name] = (ticks[name] ?? 0) + Number(fields[11]) + Number(fields[12]);
      } catch {
        // The process ended between the listing and the read.
      }
    }
    this.samples.push({ at: Date.now(), ticks });
  }
}
