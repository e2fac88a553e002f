// npm run soak: delivery under faults, measured by what every device stores. N senders (core
// clients behind proxies cut every 0.2-1 s) write M messages each to one account that is open on a
// core client, the CLI's listener and two web apps; Prosody is killed and restarted mid-run and the
// CLI listener is killed while it catches up. Prints, per device: lost, duplicated and out-of-order
// messages (per sender, against send order, as the stored history reads), what is left in the
// senders' outboxes, and the seconds from the restart to the first live message; then a JSON line.
//
//   npm run soak -- [--senders N] [--messages M] [--interval-ms MS] [--browsers B] [--no-cli]
//                   [--no-build] [--server-log FILE] [--quiet]
//   (or SOAK_SENDERS, SOAK_MESSAGES, SOAK_INTERVAL_MS, SOAK_BROWSERS)
// The web app is exported first (npm run export:web -w @hush/app), so it runs today's core;
// --no-build skips that.
//
//   npm run soak -- --server ejabberd-cluster [--senders N] [--messages M] [--interval-ms MS]
//                   [--redeliver-after-ms MS] [--receivers-over websocket|tls] [--quiet]
//   (or SOAK_SERVER=ejabberd-cluster)
// runs it on a two-node ejabberd cluster instead (soak/cluster.ts): core devices only, a node
// killed and back mid-traffic instead of cuts and a Prosody restart.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { repoRoot } from '@hush/test-utils';
import { jsonLine, machine, table, tree } from './soak/report.ts';
import { defaultOptions, runSoak } from './soak/run.ts';
import {
  clusterClean,
  clusterJsonLine,
  clusterTable,
  defaultClusterOptions,
  runClusterSoak,
} from './soak/cluster.ts';

const { values } = parseArgs({
  options: {
    senders: { type: 'string' },
    messages: { type: 'string' },
    'interval-ms': { type: 'string' },
    browsers: { type: 'string' },
    'no-cli': { type: 'boolean' },
    'no-build': { type: 'boolean' },
    quiet: { type: 'boolean' },
    'server-log': { type: 'string' },
    server: { type: 'string' },
    'redeliver-after-ms': { type: 'string' },
    'receivers-over': { type: 'string' },
  },
});

function count(flag: string | undefined, env: string, fallback: number): number {
  const text = flag ?? process.env[env];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(
      `soak: ${env.toLowerCase().replace('soak_', '')} takes a whole number, not '${text}'`,
    );
    process.exit(2);
  }
  return value;
}

const started = Date.now();
const log = values.quiet
  ? () => undefined
  : (line: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
const server = values.server ?? process.env.SOAK_SERVER ?? 'prosody';
if (server !== 'prosody' && server !== 'ejabberd-cluster') {
  console.error(`soak: --server takes prosody or ejabberd-cluster, not '${server}'`);
  process.exit(2);
}
if (server === 'ejabberd-cluster') {
  const redeliver = values['redeliver-after-ms'] ?? process.env.SOAK_REDELIVER_AFTER_MS;
  const result = await runClusterSoak({
    senders: count(values.senders, 'SOAK_SENDERS', defaultClusterOptions.senders),
    messages: count(values.messages, 'SOAK_MESSAGES', defaultClusterOptions.messages),
    intervalMs: count(values['interval-ms'], 'SOAK_INTERVAL_MS', defaultClusterOptions.intervalMs),
    ...(redeliver !== undefined
      ? { redeliverAfterMs: count(redeliver, 'SOAK_REDELIVER_AFTER_MS', 15_000) }
      : {}),
    receiversOver: values['receivers-over'] === 'tls' ? 'tls' : 'websocket',
    ...(values['server-log'] ? { serverLog: values['server-log'] } : {}),
    log,
  });
  console.log(
    `Machine: ${machine()}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`Date: ${new Date().toISOString().slice(0, 16)}, tree ${tree()}\n`);
  console.log(clusterTable(result));
  console.log('');
  console.log(clusterJsonLine(result));
  process.exit(clusterClean(result) ? 0 : 1);
}

if (values['no-build'] !== true) {
  try {
    execFileSync('npm', ['run', 'export:web', '-w', '@hush/app'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    console.error(
      'soak: the web export failed (above); --no-build runs on the build already there',
    );
    process.exit(1);
  }
}

const result = await runSoak({
  senders: count(values.senders, 'SOAK_SENDERS', defaultOptions.senders),
  messages: count(values.messages, 'SOAK_MESSAGES', defaultOptions.messages),
  intervalMs: count(values['interval-ms'], 'SOAK_INTERVAL_MS', defaultOptions.intervalMs),
  browsers: count(values.browsers, 'SOAK_BROWSERS', defaultOptions.browsers),
  cli: values['no-cli'] !== true,
  ...(values['server-log'] ? { serverLog: values['server-log'] } : {}),
  log,
});
console.log(`Machine: ${machine()}`);
console.log(`Date: ${new Date().toISOString().slice(0, 10)}, tree ${tree()}\n`);
console.log(table(result));
console.log('');
console.log(jsonLine(result));
const clean =
  result.outboxLeft === 0 &&
  result.uncaught === 0 &&
  result.clients.every((c) => c.lost + c.duplicated + c.outOfOrder + c.undecryptable === 0);
process.exitCode = clean ? 0 : 1;
