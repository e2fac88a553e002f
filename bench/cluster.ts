// ejabberd, one node and a two-node cluster on this one machine, side by side in one run: logins per
// second while opening idle sessions, memory per session, and chat messages per second between
// them (in the cluster, every message crosses from one node to the other). The client is
// bench/sessions.ts's bare direct-TLS stream with SCRAM-SHA-256. Both nodes share this machine's
// two cores, so the cluster row says what clustering costs here, not what a second machine adds.
//
//   node bench/cluster.ts [--sessions N]    (default 2000 per setup; CLUSTER_SESSIONS)
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  startEjabberd,
  startEjabberdCluster,
  type EjabberdCluster,
  type EjabberdNode,
  type EjabberdServer,
} from '@hush/test-utils';
import {
  closeAll,
  exchange,
  openMany,
  PASSWORD,
  pidOf,
  raiseFileLimit,
  rateText,
  rss,
} from './sessions.ts';
import { printRows } from './stats.ts';

const progress = (line: string) => console.error(`[cluster] ${line}`);
const ACCOUNTS = 10;

async function measure(
  label: string,
  nodes: readonly EjabberdNode[],
  count: number,
): Promise<[string, string][]> {
  const first = nodes[0] as EjabberdNode;
  const users = Array.from({ length: ACCOUNTS }, (_, i) => `load${i}`);
  await Promise.all(users.map((user) => first.createAccount(user, PASSWORD)));
  const pids = await Promise.all(nodes.map((node) => pidOf(node.nodeName)));
  if (pids.some((pid) => pid === undefined)) throw new Error('an ejabberd node has no process');
  const memory = async () =>
    (await Promise.all(pids.map((pid) => rss(pid as number)))).reduce((a, b) => a + b, 0);
  const ports = nodes.map((node) => node.ports.c2sTls);
  const warm = await openMany(20, users, ports, first.caCert);
  const base = await memory();
  progress(`${label}: opening ${count} sessions`);
  const opened = await openMany(count, users, ports, first.caCert);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const perSession = ((await memory()) - base) / opened.sessions.length;
  // Sessions alternate between the nodes (openMany goes round the ports), so in the cluster each
  // sender's peer, `pairs` places on, is on the other node whenever `pairs` is odd.
  const half = Math.min(201, Math.floor(opened.sessions.length / 2));
  const pairs = half % 2 === 1 ? half : half - 1;
  const sorted = [...opened.sessions].sort(
    (a, b) => Number(a.jid.split('/r')[1]) - Number(b.jid.split('/r')[1]),
  );
  progress(`${label}: ${opened.sessions.length} open in ${opened.seconds.toFixed(0)} s; messages`);
  const rate = rateText(await exchange(sorted, pairs, 20));
  closeAll([...warm.sessions, ...opened.sessions]);
  return [
    [
      `${label}: logins per second opening ${opened.sessions.length} sessions (40 at a time)`,
      `${(opened.sessions.length / opened.seconds).toFixed(0)}/s`,
    ],
    [
      `${label}: memory per idle session (RSS growth, all nodes)`,
      `${(perSession / 1024).toFixed(1)} KiB`,
    ],
    [`${label}: chat messages per second (${pairs} pairs x 20, full JIDs, archived)`, rate],
  ];
}

export async function measureCluster(count = 2000): Promise<[string, string][]> {
  await raiseFileLimit();
  const rows: [string, string][] = [];
  let single: EjabberdServer | undefined;
  try {
    single = await startEjabberd();
    rows.push(...(await measure('ejabberd, one node', [single], count)));
  } finally {
    await single?.stop();
  }
  let cluster: EjabberdCluster | undefined;
  try {
    cluster = await startEjabberdCluster(2);
    rows.push(...(await measure('ejabberd, two nodes', cluster.nodes, count)));
  } finally {
    await cluster?.stop();
  }
  return rows;
}

export async function printClusterRows(): Promise<void> {
  printRows(await measureCluster());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { sessions: { type: 'string' } } });
  const count = Number(values.sessions ?? process.env.CLUSTER_SESSIONS ?? 2000);
  if (!Number.isInteger(count) || count < 2) {
    console.error(
      `cluster: --sessions takes a whole number of 2 or more, not '${values.sessions}'`,
    );
    process.exit(2);
  }
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log('| measurement | result |\n| --- | --- |');
  printRows(await measureCluster(count));
}
