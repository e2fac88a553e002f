// How fast the web app gets going, in Debian's Chromium on loopback (the e2e stack: a throwaway
// Prosody, the exported web build served over HTTPS, playwright-core), beside Node doing the same
// login and start through core:
// - first visit to the login form: a new browser profile opens the page until the form is shown;
// - web reload to connected: a signed-up profile reloads until the app says it is online (the
//   saved login, no password, no PBKDF2; contacts, OMEMO and the Messenger started);
// - Node's login and start: openSession from the saved login and startClient on a stored device.
// Times in the page are from navigation start (performance.now() when the DOM first shows the
// state, observed in the page), so the driver's polling adds nothing. Min / median over repeats.
// Each is measured against two servers: plain SASL (the test default) and SASL2 + FAST
// (COMMUNITY_MODULES=true, as production runs), where a saved login is a FAST token.
// `node bench/web-start.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  createMemoryStorage,
  openSession,
  startClient,
  type SavedLogin,
  type Storage,
} from '@hush/core';
import { trustCertificateAuthority } from '@hush/test-utils';
import {
  openProfile,
  signUpWithInvite,
  startStack,
  webBuild,
  wordsFor,
  type Stack,
} from '../e2e/harness.ts';
import { minMedian, printHeader, printRows, runs, time } from './stats.ts';

const REPEATS = Number(process.env.HUSH_BENCH_REPEATS ?? 10);

/**
 * Records, in the page, when the login form and the 'online' state first appear (ms since
 * navigation start), whatever reloads in between: the observer is installed before any script.
 */
function watchScript(online: string): string {
  return `(() => {
    const seen = (name, at) => { if (window[name] === undefined) window[name] = at; };
    const check = () => {
      if (document.querySelector('[data-testid="tab-invite"]')) seen('__hushFormAt', performance.now());
      const subtitle = document.querySelector('[data-testid="header-subtitle"]');
      if (subtitle && subtitle.textContent.endsWith(' · ${online}')) seen('__hushOnlineAt', performance.now());
    };
    new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
  })();`;
}

async function pageTime(p: Page, name: '__hushFormAt' | '__hushOnlineAt'): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = (await p.evaluate(`window.${name}`)) as number | undefined;
    if (typeof value === 'number') return value;
    if (Date.now() > deadline) throw new Error(`${name} never set`);
    await p.waitForTimeout(20);
  }
}

/** The app's own marks (account.ts) on each reload: where the time goes. */
const PHASES: Readonly<Record<string, string>> = {
  'hush:start': 'the app code runs (bundle loaded and evaluated)',
  'hush:storage': 'storage open, the account read',
  'hush:session': 'logged in from the saved login',
  'hush:omemo-code': "OMEMO's code chunk loaded (startClient)",
  'hush:contacts': 'the roster read',
  'hush:omemo': 'OMEMO started (keys checked, own device lists read)',
  'hush:messenger': 'the Messenger started (carbons, catch-up, presence)',
  'hush:online': 'contacts, OMEMO and the Messenger started (online)',
};

/**
 * The same reloads as intervals, each from its own reload's marks: what each step of the start took,
 * whatever the page's load before it. The roster and OMEMO start side by side after the login; the
 * Messenger starts when both are done.
 */
const INTERVALS: readonly (readonly [what: string, from: readonly string[], to: string])[] = [
  ['login from the saved login (storage open to logged in)', ['hush:storage'], 'hush:session'],
  ['the roster read (logged in to done)', ['hush:session'], 'hush:contacts'],
  ['OMEMO started (logged in to done)', ['hush:session'], 'hush:omemo'],
  [
    'the Messenger started (roster and OMEMO done to done)',
    ['hush:contacts', 'hush:omemo'],
    'hush:messenger',
  ],
  ['the screen says online (Messenger started to shown)', ['hush:messenger'], 'hush:online'],
];

function intervals(reloads: readonly Record<string, number>[]): [string, number[]][] {
  return INTERVALS.map(([what, from, to]) => [
    what,
    reloads.flatMap((marks) => {
      const end = marks[to];
      const start = Math.max(...from.map((name) => marks[name] ?? NaN));
      return end === undefined || Number.isNaN(start) ? [] : [end - start];
    }),
  ]);
}

async function webRows(stack: Stack): Promise<{
  form: number[];
  bytes: number[];
  reload: number[];
  phases: Record<string, number[]>;
  reloads: Record<string, number>[];
}> {
  const phases: Record<string, number[]> = {};
  const reloads: Record<string, number>[] = [];
  const online = wordsFor()('phase.online');
  const form: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const fresh = await openProfile(stack);
    try {
      const p = fresh.pages()[0] ?? (await fresh.newPage());
      await p.addInitScript(watchScript(online));
      // What the visit downloads up to the form, as sent (Brotli where the browser takes it).
      const sizes: Promise<number>[] = [];
      p.on('requestfinished', (request) => {
        sizes.push(
          request.sizes().then(
            (size) => size.responseBodySize,
            () => 0,
          ),
        );
      });
      await p.goto(stack.url);
      form.push(await pageTime(p, '__hushFormAt'));
      bytes.push((await Promise.all(sizes)).reduce((sum, size) => sum + size, 0) / 1024);
    } finally {
      await fresh.close();
    }
  }
  const context = await openProfile(stack);
  const reload: number[] = [];
  try {
    const p = context.pages()[0] ?? (await context.newPage());
    await p.addInitScript(watchScript(online));
    await signUpWithInvite(p, stack, 'webstart', 'webstart-password');
    // One unrecorded reload: the browser's caches warm as a returning person's are.
    for (let i = 0; i < REPEATS + 1; i++) {
      await p.reload();
      const at = await pageTime(p, '__hushOnlineAt');
      if (i > 0) reload.push(at);
      const marks = (await p.evaluate(
        `Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]))`,
      )) as Record<string, number>;
      if (i > 0) for (const [name, at] of Object.entries(marks)) (phases[name] ??= []).push(at);
      if (i > 0) reloads.push(marks);
    }
  } finally {
    await context.close();
  }
  return { form, bytes, reload, phases, reloads };
}

/** Node: openSession from a saved login and startClient on a device that has started before. */
async function nodeRows(stack: Stack): Promise<number[]> {
  trustCertificateAuthority(stack.prosody.caCert);
  const jid = await stack.prosody.createAccount('nodestart', 'nodestart-password');
  const service = stack.prosody.websocketUrl;
  const storage: Storage = createMemoryStorage();
  let saved: SavedLogin | undefined;
  const start = async (credential: { password: string } | { savedLogin: SavedLogin }) => {
    const session = await openSession({ service, jid, resource: 'bench', ...credential });
    const client = await startClient({ session, storage, clientType: 'pc' });
    saved = session.savedLogin;
    return { session, client };
  };
  const first = await start({ password: 'nodestart-password' });
  await first.client.close();
  await first.session.close();
  const samples: number[] = [];
  for (let i = 0; i < REPEATS + 1; i++) {
    let started: Awaited<ReturnType<typeof start>> | undefined;
    const login = saved ?? {};
    const ms = await time(async () => (started = await start({ savedLogin: login as SavedLogin })));
    if (i > 0) samples.push(ms);
    await started?.client.close();
    await started?.session.close();
  }
  return samples;
}

/** The servers measured: the test default (plain SASL), and SASL2 with FAST as production runs. */
const SERVERS: readonly { readonly name: string; readonly settings: Record<string, string> }[] = [
  { name: 'SASL', settings: {} },
  { name: 'SASL2 + FAST', settings: { COMMUNITY_MODULES: 'true' } },
];

export async function measureWebStart(
  servers: readonly string[] = SERVERS.map((server) => server.name),
): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  for (const server of SERVERS.filter((s) => servers.includes(s.name)))
    rows.push(...(await measureOn(server.name, server.settings)));
  return rows;
}

async function measureOn(
  name: string,
  settings: Record<string, string>,
): Promise<[string, string][]> {
  const stack = await startStack({ settings });
  try {
    const { form, bytes, reload, phases, reloads } = await webRows(stack);
    const node = await nodeRows(stack);
    const breakdown = Object.entries(PHASES).map(([phase, what]): [string, string] => [
      `${name}: web reload, ${what}: ms from navigation start, min / median of ${REPEATS}`,
      minMedian(runs(phases[phase] ?? [NaN]), 'ms', 0),
    ]);
    return [
      [
        `${name}: web first visit to the login form (Chromium, loopback), min / median of ${REPEATS}`,
        minMedian(runs(form), 'ms', 0),
      ],
      [
        `${name}: web first visit, bytes downloaded up to the login form (bodies as sent: Brotli), min / median of ${REPEATS}`,
        minMedian(runs(bytes), 'KiB', 0),
      ],
      [
        `${name}: web reload to connected (Chromium, loopback; saved login, contacts, OMEMO, Messenger), min / median of ${REPEATS}`,
        minMedian(runs(reload), 'ms', 0),
      ],
      [
        `${name}: Node login and start (saved login, contacts, OMEMO, Messenger; wss, loopback), min / median of ${REPEATS}`,
        minMedian(runs(node), 'ms', 0),
      ],
      ...breakdown,
      ...intervals(reloads).map(([what, samples]): [string, string] => [
        `${name}: web reload, ${what}, ms, min / median of ${REPEATS}`,
        minMedian(runs(samples.length > 0 ? samples : [NaN]), 'ms', 0),
      ]),
    ];
  } finally {
    await stack.stop();
  }
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printWebStartRows(servers?: readonly string[]): Promise<void> {
  if (!existsSync(join(webBuild, 'index.html'))) {
    console.log('| web start (no web build: npm run export:web -w @hush/app) | not measured |');
    return;
  }
  printRows(await measureWebStart(servers));
}

// `node bench/web-start.ts 'SASL2 + FAST'` measures against that server only; HUSH_WEB_BUILD names
// another build to measure (e2e/harness.ts), e.g. one made before a change.
if (process.argv[1] === import.meta.filename) {
  const servers = process.argv.slice(2);
  const known = SERVERS.map((server) => server.name);
  const unknown = servers.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new Error(`unknown server ${unknown.join(', ')}: ${known.join(', ')}`);
  printHeader();
  await printWebStartRows(servers.length > 0 ? servers : undefined);
}
