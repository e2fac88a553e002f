// Core in the Hermes VM against Node, same Metro bundle, same input, same run: the closest stand-in
// for a phone on this machine (hermes-engine-cli 0.12, older than React Native 0.86's Hermes; both
// interpret bytecode without a JIT). Goals from the phone-app work: 1,000 encrypted messages
// decrypted <= 3 s, a 10 MB file decrypted <= 3 s, a login proof <= 300 ms.
// `node bench/hermes.ts` prints its table; bench/run.ts appends it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bundleWorkload,
  runInHermes,
  runInNode,
  standardInput,
  STANDARD_SIZES,
} from '../packages/app/hermes/run.ts';
import type { WorkloadResult, WorkloadStep } from '../packages/app/hermes/workload.ts';

const ROUNDS = Number(process.env.HUSH_BENCH_ROUNDS ?? 3);
const { messages: MESSAGES, turns: TURNS, iterations: ITERATIONS } = STANDARD_SIZES;

interface Row {
  readonly name: string;
  readonly step: (result: WorkloadResult) => WorkloadStep;
  /** Turns the step's time into the quantity the goal names. */
  readonly scale: number;
  readonly goal?: number;
}

const ROWS: readonly Row[] = [
  { name: 'OMEMO session set-up (PreKey message and answer)', step: (r) => r.omemoSetup, scale: 1 },
  {
    name: `OMEMO: ${MESSAGES} messages encrypted (one chain), per 1,000`,
    step: (r) => r.omemoEncrypt,
    scale: 1000 / (2 * MESSAGES),
  },
  {
    name: `OMEMO: ${MESSAGES} encrypted messages decrypted (catch-up), per 1,000`,
    step: (r) => r.omemoDecrypt,
    scale: 1000 / (2 * MESSAGES),
    goal: 3000,
  },
  {
    name: 'OMEMO: one message taking turns (ratchet step, X25519), encrypt+decrypt',
    step: (r) => r.omemoTurns,
    scale: 1 / TURNS,
  },
  {
    name: `SCRAM-SHA-256 first login proof (PBKDF2, ${ITERATIONS} iterations, Prosody's count)`,
    step: (r) => r.scramProof,
    scale: 1,
    goal: 300,
  },
  {
    name: `same PBKDF2 alone through noble's general-purpose pbkdf2Async (the proof's path before)`,
    step: (r) => r.pbkdf2Noble,
    scale: 1,
  },
  {
    name: 'SCRAM-SHA-256 returning login proof (kept keys, no PBKDF2)',
    step: (r) => r.scramFromKeys,
    scale: 1,
    goal: 300,
  },
  {
    name: 'XEP-0454 AES-GCM, 10 MB file encrypted (pure JS)',
    step: (r) => r.fileEncrypt,
    scale: 1,
  },
  {
    name: 'XEP-0454 AES-GCM, 10 MB file decrypted (pure JS)',
    step: (r) => r.fileDecrypt,
    scale: 1,
    goal: 3000,
  },
  { name: '5-minute Opus voice message remuxed to CAF', step: (r) => r.cafRemux, scale: 1 },
];

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export async function printHermesRows(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hush-hermes-bench-'));
  try {
    const input = await standardInput(dir);
    const bundle = await bundleWorkload(dir);
    const hermes: WorkloadResult[] = [];
    const node: WorkloadResult[] = [];
    // Alternating rounds so that load on the machine falls on both columns alike.
    for (let i = 0; i < ROUNDS; i++) {
      hermes.push(await runInHermes(bundle, input));
      node.push(await runInNode(bundle, input));
    }
    console.log(
      `\nHermes (hermes-engine-cli 0.12, bytecode -O) against Node ${process.version} (V8 JIT), one Metro bundle, ${ROUNDS} alternating rounds, min / median ms:\n`,
    );
    console.log(
      '| measurement | Hermes | Node | Hermes/Node | goal (Hermes) |\n| --- | --- | --- | --- | --- |',
    );
    for (const row of ROWS) {
      const h = hermes.map((result) => row.step(result).ms * row.scale);
      const n = node.map((result) => row.step(result).ms * row.scale);
      const ratio = median(n) > 0 ? `${(median(h) / median(n)).toFixed(1)}x` : 'n/a';
      const goal =
        row.goal === undefined
          ? ''
          : `<= ${row.goal} ms: ${median(h) <= row.goal ? 'met' : 'missed'}`;
      const fmt = (values: number[]) =>
        `${Math.min(...values).toFixed(0)} / ${median(values).toFixed(0)}`;
      console.log(`| ${row.name} | ${fmt(h)} | ${fmt(n)} | ${ratio} | ${goal} |`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) await printHermesRows();
