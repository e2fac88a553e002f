// What every benchmark prints the same way: the machine and the date, repeated runs as min/median,
// and whether two measured configurations differ by more than their own run-to-run spread.
import { cpus, loadavg, totalmem } from 'node:os';

export const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** The value at quantile q (0..1), nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** CPU model, cores, memory, Node, load, and the date and time (UTC) of the run. */
export function machineLines(): string[] {
  const cpu = cpus();
  const load = loadavg().map((value) => value.toFixed(1));
  return [
    `Machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${load.join(' ')}`,
    `Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  ];
}

export function printHeader(): void {
  for (const line of machineLines()) console.log(line);
  console.log('\n| measurement | result |\n| --- | --- |');
}

/** Rows under printHeader()'s table head, one `| measurement | result |` line each. */
export function printRows(rows: Iterable<readonly [string, string]>): void {
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
}

/** Milliseconds `fn` takes. */
export async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export interface Runs {
  readonly samples: readonly number[];
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function runs(samples: readonly number[]): Runs {
  return {
    samples,
    min: Math.min(...samples),
    median: median(samples),
    max: Math.max(...samples),
  };
}

/**
 * Two configurations measured alternately, `warmup` unrecorded rounds first, then `rounds` each:
 * both see the same machine state, so a load spike touches both.
 */
export async function alternate<T extends string>(
  configurations: readonly T[],
  rounds: number,
  warmup: number,
  measure: (configuration: T) => Promise<number>,
): Promise<Record<T, Runs>> {
  const samples = Object.fromEntries(configurations.map((c) => [c, [] as number[]])) as Record<
    T,
    number[]
  >;
  for (let round = 0; round < warmup + rounds; round++) {
    for (const configuration of configurations) {
      const value = await measure(configuration);
      if (round >= warmup) samples[configuration].push(value);
    }
  }
  return Object.fromEntries(configurations.map((c) => [c, runs(samples[c])])) as Record<T, Runs>;
}

/**
 * Within noise: each median lies inside the other's range of runs, so the difference is no larger
 * than what one configuration varies by itself in this run.
 */
export function withinNoise(a: Runs, b: Runs): boolean {
  return a.median >= b.min && a.median <= b.max && b.median >= a.min && b.median <= a.max;
}

export const noiseMark = (a: Runs, b: Runs): string => (withinNoise(a, b) ? ' (within noise)' : '');

/** "min / median" with a unit and a number of decimals. */
export function minMedian(r: Runs, unit: string, digits = 1): string {
  return `${r.min.toFixed(digits)} / ${r.median.toFixed(digits)} ${unit}`;
}

/** For rates (higher is better): "max / median". */
export function maxMedian(r: Runs, unit: string, digits = 0): string {
  return `${r.max.toFixed(digits)} / ${r.median.toFixed(digits)} ${unit}`;
}
