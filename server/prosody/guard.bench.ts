// What the login guard and the connection caps cost and do, on real Prosody servers rendered from
// the production template, side by side with the same template without Hush's mod_hush_guard and
// mod_hush_limits. Prints a Markdown table (doc/benchmarks.md):
//
//   node --disable-warning=ExperimentalWarning server/prosody/guard.bench.ts
import { readFile, writeFile } from 'node:fs/promises';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { openSession } from '@hush/core';
import {
  connectPlain,
  connectTls,
  openStream,
  plainAuth,
  productionLimits,
  streamHeader,
  type RawStream,
} from './raw-client.ts';

const rows: [string, string][] = [];
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

/** A server as the template renders it, or without the guard and the caps. */
async function server(guarded: boolean, settings: Record<string, string> = {}) {
  const started = await startProsody({
    settings: { ...productionLimits, COMMUNITY_MODULES: 'false', ...settings },
  });
  if (!guarded) {
    const config = await readFile(started.configFile, 'utf8');
    await writeFile(started.configFile, config.replace(/^\s*"hush_(guard|limits)";.*$/gm, ''));
    await started.restart();
  }
  trustCertificateAuthority(started.caCert);
  return started;
}

async function loginTimes(target: ProsodyServer, count: number): Promise<number[]> {
  await target.createAccount('person', 'person-password');
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const session = await openSession({
      service: target.websocketUrl,
      jid: 'person@localhost',
      password: 'person-password',
    });
    times.push(performance.now() - start);
    await session.close();
  }
  return times;
}

/** The time from sending a wrong PLAIN password to the failure, on a fresh stream. */
async function failureTime(target: ProsodyServer, user: string): Promise<number> {
  const stream = await connectTls(target);
  await openStream(stream, target.domain);
  const start = performance.now();
  await plainAuth(stream, user, 'not-the-password');
  const elapsed = performance.now() - start;
  stream.destroy();
  return elapsed;
}

async function held(target: ProsodyServer, count: number): Promise<number> {
  const streams: RawStream[] = [];
  try {
    for (let i = 0; i < count; i++) streams.push(await connectPlain(target));
    const results = await Promise.all(
      streams.map(async (stream) => {
        stream.write(streamHeader(target.domain));
        return Promise.race([
          stream.read(/<\/stream:features>/, 5000).then(() => true),
          stream.closed.then(() => false),
        ]).catch(() => false);
      }),
    );
    return results.filter(Boolean).length;
  } finally {
    for (const stream of streams) stream.destroy();
  }
}

// A real person's login, over wss with Hush's core (SCRAM-SHA-256), median of 20.
for (const guarded of [false, true]) {
  const target = await server(guarded);
  try {
    const times = await loginTimes(target, 21);
    rows.push([
      `login over wss (TLS, SCRAM-SHA-256, bind), ${guarded ? 'with' : 'without'} the guard, median of 20`,
      ms(median(times.slice(1))),
    ]);
  } finally {
    await target.stop();
  }
}

// A failed login: existing vs unknown account. Without the guard, on one server; with it, the
// first failure on a fresh server each time (the delay grows with each failure of the address).
{
  const target = await server(false);
  try {
    await target.createAccount('exists', 'exists-password');
    const existing: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 20; i++) {
      existing.push(await failureTime(target, 'exists'));
      unknown.push(await failureTime(target, `nobody${i}`));
    }
    rows.push([
      'failed login (PLAIN), existing account, without the guard, median of 20',
      ms(median(existing)),
    ]);
    rows.push([
      'failed login (PLAIN), unknown account, without the guard, median of 20',
      ms(median(unknown)),
    ]);
  } finally {
    await target.stop();
  }
}
{
  const existing: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 5; i++) {
    for (const [user, list] of [
      ['exists', existing],
      ['nobody', unknown],
    ] as const) {
      const target = await server(true);
      try {
        await target.createAccount('exists', 'exists-password');
        list.push(await failureTime(target, user));
      } finally {
        await target.stop();
      }
    }
  }
  rows.push([
    'first failed login (PLAIN), existing account, with the guard (1 s), median of 5',
    ms(median(existing)),
  ]);
  rows.push([
    'first failed login (PLAIN), unknown account, with the guard (1 s), median of 5',
    ms(median(unknown)),
  ]);
  const spread = Math.abs(median(existing) - median(unknown));
  rows.push(['difference existing vs unknown, with the guard', ms(spread)]);
}

// Wrong passwords from one address on one stream, as fast as the server answers.
for (const guarded of [false, true]) {
  const target = await server(guarded);
  try {
    await target.createAccount('victim', 'victim-password');
    const stream = await connectTls(target);
    await openStream(stream, target.domain);
    const start = performance.now();
    let answered = 0;
    for (let i = 0; i < 20 && !stream.isClosed(); i++) {
      try {
        await plainAuth(stream, 'victim', `guess-${i}`);
        answered++;
      } catch {
        break;
      }
    }
    rows.push([
      `wrong passwords answered on one stream before it closes (of 20), ${guarded ? 'with' : 'without'} the guard`,
      `${answered} in ${ms(performance.now() - start)}`,
    ]);
    stream.destroy();
  } finally {
    await target.stop();
  }
}

// Idle connections one address holds.
for (const guarded of [false, true]) {
  const target = await server(guarded);
  try {
    rows.push([
      `idle connections held by one address (200 opened), ${guarded ? 'with the cap (50)' : 'without a cap'}`,
      String(await held(target, 200)),
    ]);
  } finally {
    await target.stop();
  }
}

const width = Math.max(...rows.map(([name]) => name.length));
console.log(`| ${'measurement'.padEnd(width)} | result |`);
console.log(`| ${'-'.repeat(width)} | ------ |`);
for (const [name, value] of rows) console.log(`| ${name.padEnd(width)} | ${value} |`);
