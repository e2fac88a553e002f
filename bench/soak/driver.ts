// What every soak run does around its own server and faults (run.ts on Prosody, cluster.ts on an
// ejabberd cluster): the run's notes and the errors nothing handled, its files, its clients and
// their closing, counting what the senders wrote, settling until everything arrived and left the
// outboxes (or nothing changes any more), and what the senders' outboxes and states say afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@hush/test-utils';
import { parseBody } from './analysis.ts';
import type { Receiver } from './receivers.ts';
import type { OutboxLeft, Sender } from './senders.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What every soak run is told, whatever its server and faults. */
export interface SoakBasics {
  readonly senders: number;
  readonly messages: number;
  /** Mean pause between two messages of one sender. */
  readonly intervalMs: number;
  /** Settling ends when nothing changed for this long (or everything arrived and left). */
  readonly settleQuietMs: number;
  readonly settleMaxMs: number;
  /** Where to keep the server's log at the end, for a closer look. */
  readonly serverLog?: string;
  readonly log: (line: string) => void;
}

export class SoakRun {
  readonly notes: string[] = [];
  /** Errors that nothing handled in this process, one line each (repeats included). */
  readonly uncaught: string[] = [];
  readonly receivers: Receiver[] = [];
  readonly senders: Sender[] = [];
  /** Senders that write beside the measured ones (live-delivery probes). */
  readonly probes: Sender[] = [];
  /** At the end, before the clients close (a server's log copied while it still runs). */
  beforeClose: (() => Promise<void>) | undefined;
  /** At the end, once the clients are closed: the server stops. */
  stopServer: (() => Promise<void>) | undefined;
  readonly dir: string;
  readonly log: (line: string) => void;

  constructor(dir: string, log: (line: string) => void) {
    this.dir = dir;
    this.log = log;
  }

  /** A line for the report's notes, logged too. */
  readonly note = (line: string): void => {
    this.notes.push(line);
    this.log(line);
  };
}

/**
 * Runs `body` with a fresh SoakRun and a directory of its own, then closes every client, stops the
 * server and removes the directory, whatever happened.
 */
export async function withSoakRun<T>(
  dirPrefix: string,
  log: (line: string) => void,
  body: (run: SoakRun) => Promise<T>,
): Promise<T> {
  const run = new SoakRun(await mkdtemp(join(tmpdir(), dirPrefix)), log);
  // An error nothing handles would end the run and every figure with it: it is recorded instead
  // (the senders and the core devices run in this process) and fails the run. libsignal's
  // curve25519 (an Emscripten build) adds a listener that throws again, which would end the
  // process all the same: it is set aside for the run.
  const onUncaught = (error: Error) => {
    const where = error.stack?.split('\n').find((line) => line.includes('/packages/')) ?? '';
    const line = `${error.name}: ${error.message} ${where.trim()}`;
    if (!run.uncaught.includes(line)) run.note(`uncaught in this process: ${line}`);
    run.uncaught.push(line);
  };
  const others = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', onUncaught);
  try {
    return await body(run);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    for (const listener of others) process.on('uncaughtException', listener);
    await run.beforeClose?.().catch(() => undefined);
    for (const sender of [...run.senders, ...run.probes])
      await sender.close().catch(() => undefined);
    for (const receiver of run.receivers) await receiver.close().catch(() => undefined);
    await run.stopServer?.().catch(() => undefined);
    await rm(run.dir, { recursive: true, force: true });
  }
}

/**
 * How far a run is: the messages the measured senders write (`total`), which bodies are theirs
 * (a probe's are not), how many of them reached a device, how many are written, and a wait for a
 * fraction of `total` to be written.
 */
export function progress(
  senders: readonly Sender[],
  options: Pick<SoakBasics, 'senders' | 'messages'>,
) {
  const total = options.senders * options.messages;
  const fromSenders = (body: string) => (parseBody(body)?.sender ?? Infinity) < options.senders;
  const arrivedFromSenders = (receiver: Receiver) =>
    [...receiver.arrivals.keys()].filter(fromSenders).length;
  const written = () => senders.reduce((sum, sender) => sum + sender.written, 0);
  const whenWritten = (fraction: number) =>
    until(
      () => written() >= Math.min(total, Math.ceil(fraction * total)),
      `${fraction * 100}% of the messages written`,
      3_600_000,
      20,
    );
  return { total, fromSenders, arrivedFromSenders, written, whenWritten };
}

/** Waits (30 s at most) until `sender` encrypts for `devices` of `peer`'s devices; `what` names it. */
export function untilSeen(sender: Sender, peer: string, devices: number, what: string) {
  return until(async () => (await sender.peerDevices(peer)) >= devices, what, 30_000, 200);
}

export interface Settling {
  /** The measured senders: when each one's outbox was first empty is recorded. */
  readonly senders: readonly Sender[];
  /** Their outboxes count too. */
  readonly probes: readonly Sender[];
  /** Per device, the senders' messages it has. */
  readonly arrived: () => number[];
  /** Whether everything is there and every outbox empty. */
  readonly complete: (outbox: number, arrived: readonly number[]) => boolean;
  /** What counts as a change (which starts the quiet time again). */
  readonly state: (outbox: number, arrived: readonly number[]) => string;
  /** The line logged at each change. */
  readonly line: (outbox: number, arrived: readonly number[]) => string;
  readonly quietMs: number;
  readonly maxMs: number;
  readonly everyMs: number;
  readonly log: (line: string) => void;
}

export interface Settled {
  readonly settled: boolean;
  readonly settleSeconds: number;
  /** Seconds from the start of settling to each measured sender's outbox being empty. */
  readonly drained: readonly (number | null)[];
}

/** Waits until everything arrived and left the outboxes, or nothing changed for `quietMs`. */
export async function settle(options: Settling): Promise<Settled> {
  const settleStart = performance.now();
  const drained: (number | null)[] = options.senders.map(() => null);
  let settled = false;
  let lastChange = settleStart;
  let last = '';
  for (;;) {
    const sizes = await Promise.all(
      [...options.senders, ...options.probes].map((s) => s.outboxSize()),
    );
    const outbox = sizes.reduce((a, b) => a + b, 0);
    sizes.slice(0, options.senders.length).forEach((size, index) => {
      if (size === 0 && drained[index] === null)
        drained[index] = (performance.now() - settleStart) / 1000;
    });
    const arrived = options.arrived();
    if (options.complete(outbox, arrived)) {
      settled = true;
      break;
    }
    const now = performance.now();
    const state = options.state(outbox, arrived);
    if (state !== last) {
      last = state;
      lastChange = now;
      options.log(options.line(outbox, arrived));
    }
    if (now - lastChange > options.quietMs || now - settleStart > options.maxMs) break;
    await pause(options.everyMs);
  }
  return { settled, settleSeconds: (performance.now() - settleStart) / 1000, drained };
}

export interface SenderSummary {
  /** Entries left in the senders' outboxes after settling. */
  readonly outboxLeft: number;
  readonly outboxes: readonly OutboxLeft[];
  /** The senders' messages to `peer` by state, summed over the senders. */
  readonly senderStates: Record<string, number>;
  readonly senderErrors: Record<string, number>;
}

/** What the senders' outboxes, message states and errors say after settling. */
export async function senderSummary(
  senders: readonly Sender[],
  peer: string,
): Promise<SenderSummary> {
  const outboxes = await Promise.all(senders.map((sender) => sender.outboxLeft()));
  const senderStates: Record<string, number> = {};
  const senderErrors: Record<string, number> = {};
  for (const sender of senders) {
    for (const [state, count] of Object.entries(await sender.states(peer)))
      senderStates[state] = (senderStates[state] ?? 0) + count;
    for (const [code, count] of sender.errors)
      senderErrors[code] = (senderErrors[code] ?? 0) + count;
  }
  return {
    outboxLeft: outboxes.reduce((sum, left) => sum + left.entries, 0),
    outboxes,
    senderStates,
    senderErrors,
  };
}
