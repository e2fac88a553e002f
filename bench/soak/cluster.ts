// The delivery soak on a two-node ejabberd cluster: N senders write M messages each to one account
// whose two devices sit on different nodes; the senders' home nodes alternate. Every client is
// given both nodes' addresses (as a domain's SRV records would give them) and fails over by itself
// (xmpp/reconnect.ts failOver). Mid-traffic node one is killed (SIGKILL): its clients move to node
// two, and what node one acked but never delivered goes again (chat/redelivery.ts). Node one then
// starts again, rejoins the cluster, and a client on it writes to the receiving account too.
// Afterwards every device's stored history and every sender's outbox say what happened.
import { writeFile } from 'node:fs/promises';
import {
  startEjabberdCluster,
  trustCertificateAuthority,
  until,
  type EjabberdNode,
} from '@hush/test-utils';
import { analyseClient, firstLiveAfter, parseBody, type ClientCounts } from './analysis.ts';
import { startCoreReceiver, type Endpoint } from './receivers.ts';
import {
  progress,
  untilSeen,
  senderSummary,
  settle,
  type SenderSummary,
  type SoakBasics,
  withSoakRun,
} from './driver.ts';
import { Sender, type Hold } from './senders.ts';
import { archivedOriginIds, traceLosses, traceMessages } from './trace.ts';

export interface ClusterSoakOptions extends SoakBasics {
  /** Node one is killed once this fraction of all messages is written, */
  readonly killAt: number;
  /** and started again at this fraction, once its clients have moved to node two. */
  readonly backAt: number;
  /**
   * How the receiving devices connect: the websocket binds the resource the device asks for again
   * on every stream; direct TLS logs in with SASL2 and Bind 2, where the server makes a new one.
   */
  readonly receiversOver: 'websocket' | 'tls';
  /** How long a receipt may take before a message goes again; core's default (15 s) if unset. */
  readonly redeliverAfterMs?: number;
}

export const defaultClusterOptions: ClusterSoakOptions = {
  senders: 4,
  messages: 150,
  intervalMs: 100,
  killAt: 0.3,
  backAt: 0.6,
  receiversOver: 'websocket',
  settleQuietMs: 40_000,
  settleMaxMs: 240_000,
  log: () => undefined,
};

export interface ClusterClient extends ClientCounts {
  readonly name: string;
  /** The node it first connected to. */
  readonly home: 1 | 2;
  /** Distinct soak messages of the senders that reached it. */
  readonly arrived: number;
  /** Seconds from the kill to its next stream (new or resumed); null if it never needed one. */
  readonly backOnlineAfter: number | null;
  /** Seconds from the kill to the first live message of the probe (which stays on node two). */
  readonly firstLiveAfterKill: number | null;
}

export interface ClusterSender {
  readonly name: string;
  readonly home: 1 | 2;
  readonly backOnlineAfter: number | null;
  /** Seconds from the end of writing to its outbox being empty. */
  readonly drainSeconds: number | null;
}

export interface ClusterSoakResult extends SenderSummary {
  readonly options: Omit<ClusterSoakOptions, 'log' | 'serverLog'>;
  readonly clients: readonly ClusterClient[];
  readonly senders: readonly ClusterSender[];
  /** Seconds from SIGKILL until node two no longer lists node one. */
  readonly nodeDownSeenAfter: number;
  /** Seconds from starting node one again until both nodes list each other. */
  readonly rejoinSeconds: number;
  /** The probe messages each device got of those written (live-delivery check). */
  readonly probes: { readonly written: number; readonly arrived: readonly number[] };
  readonly sendSeconds: number;
  readonly settleSeconds: number;
  readonly settled: boolean;
  readonly uncaught: number;
  readonly notes: readonly string[];
  /** Where the lost messages got lost, per device. */
  readonly traces: readonly string[];
}

const PASSWORD = 'soak-password-1';
const PROBE_MS = 250;

/** A node's address first, the other's as the alternative. */
function endpoint(home: EjabberdNode, other: EjabberdNode, websocket: boolean): Endpoint {
  return websocket
    ? { service: home.websocketUrl, alternatives: [other.websocketUrl] }
    : { service: home.directTlsUrl, alternatives: [other.directTlsUrl] };
}

/** Seconds from `since` to the first of `times` at or after it. */
function firstAfter(times: readonly number[] | undefined, since: number): number | null {
  const at = times?.find((time) => time >= since);
  return at === undefined ? null : (at - since) / 1000;
}

export async function runClusterSoak(
  partial: Partial<ClusterSoakOptions> = {},
): Promise<ClusterSoakResult> {
  const options: ClusterSoakOptions = { ...defaultClusterOptions, ...partial };
  const { log } = options;
  return withSoakRun('hush-cluster-soak-', log, async (run) => {
    const { dir, note, notes, receivers, senders, probes } = run;
    const cluster = await startEjabberdCluster(2);
    run.stopServer = () => cluster.stop();
    const serverLog = options.serverLog;
    if (serverLog)
      run.beforeClose = async () => {
        const logs = await Promise.all(
          cluster.nodes.map(async (node) => `==> ${node.nodeName}\n${await node.readLogs()}`),
        );
        await writeFile(serverLog, logs.join('\n'));
      };
    trustCertificateAuthority(cluster.caCert);
    const [one, two] = cluster.nodes as [EjabberdNode, EjabberdNode];
    const homeOf = (home: 1 | 2, websocket: boolean) =>
      home === 1 ? endpoint(one, two, websocket) : endpoint(two, one, websocket);
    const receiverJid = await one.createAccount('receiver', PASSWORD);
    // The senders, the probe on node two and the one that writes through node one once it is back.
    for (let i = 0; i <= options.senders + 1; i++) await one.createAccount(`sender${i}`, PASSWORD);
    log(`cluster ${one.nodeName} + ${two.nodeName}, files in ${dir}`);
    const redelivery =
      options.redeliverAfterMs !== undefined ? { redeliverAfterMs: options.redeliverAfterMs } : {};

    // The receiving account: a device on each node.
    const homes: (1 | 2)[] = [1, 2];
    for (const home of homes)
      receivers.push(
        await startCoreReceiver(
          homeOf(home, options.receiversOver === 'websocket'),
          receiverJid,
          PASSWORD,
          note,
          {
            name: `device-${home}`,
            ...redelivery,
          },
        ),
      );
    const senderHome = (index: number): 1 | 2 => (index % 2 === 0 ? 1 : 2);
    const startSender = (index: number, at: Endpoint) =>
      Sender.startAt(
        at,
        index,
        `sender${index}@${one.domain}`,
        PASSWORD,
        dir,
        options.redeliverAfterMs,
      );
    for (let i = 0; i < options.senders; i++)
      senders.push(await startSender(i, homeOf(senderHome(i), false)));
    const probe = await startSender(options.senders, homeOf(2, false));
    probes.push(probe);
    const devices = receivers.length;
    for (const sender of [...senders, probe])
      await untilSeen(
        sender,
        receiverJid,
        devices,
        `${sender.jid} to see both devices of ${receiverJid}`,
      );
    log(`${senders.length} senders and the probe connected`);

    const { total, fromSenders, arrivedFromSenders, written, whenWritten } = progress(
      senders,
      options,
    );

    // However slow the machine, the kill and the return come mid-run: the senders hold their
    // messages back at those points until each has happened.
    let killed: () => void = () => undefined;
    let rejoined: () => void = () => undefined;
    const holds: Hold[] = [
      {
        at: Math.ceil(options.messages * Math.min(1, options.killAt + 0.1)),
        until: new Promise<void>((resolve) => (killed = resolve)),
      },
      {
        at: Math.ceil(options.messages * Math.min(1, options.backAt + 0.1)),
        until: new Promise<void>((resolve) => (rejoined = resolve)),
      },
    ];
    let killedAt = NaN;
    let nodeDownSeenAfter = NaN;
    let rejoinSeconds = NaN;
    let lateSender: Sender | undefined;
    let sendingDone = false;

    const sendStart = performance.now();
    const sending = Promise.all(
      senders.map((sender) =>
        sender.send(receiverJid, options.messages, options.intervalMs, holds),
      ),
    );
    const faults = (async () => {
      try {
        await whenWritten(options.killAt);
        log(`node one SIGKILL at ${written()} of ${total} written`);
        killedAt = performance.now();
        await one.halt({ kill: true });
      } finally {
        killed();
      }
      try {
        await until(
          async () => !(await cluster.members(two))?.includes(one.nodeName),
          'node two to see node one gone',
          120_000,
          100,
        );
        nodeDownSeenAfter = (performance.now() - killedAt) / 1000;
        log(`node two saw node one gone after ${nodeDownSeenAfter.toFixed(2)} s`);
        await whenWritten(options.backAt);
        const movers = [
          ...receivers.filter((_, i) => homes[i] === 1),
          ...senders.filter((_, i) => senderHome(i) === 1),
        ];
        await until(
          () => movers.every((client) => firstAfter(client.onlineAt, killedAt) !== null),
          "node one's clients back online on node two",
          120_000,
          50,
        ).catch((error: unknown) => note(String(error)));
        const startedAt = performance.now();
        await one.start();
        await until(
          async () => {
            const lists = await Promise.all(
              [one, two].map((n) => cluster.members(n).catch(() => [] as string[])),
            );
            return lists.every((names) => names?.length === 2);
          },
          'node one to rejoin',
          60_000,
          250,
        );
        rejoinSeconds = (performance.now() - startedAt) / 1000;
        log(`node one back and rejoined after ${rejoinSeconds.toFixed(2)} s`);
        // A client of the node that came back writes to the account too, until the others are done.
        lateSender = await startSender(options.senders + 1, { service: one.directTlsUrl });
        probes.push(lateSender);
        const late = lateSender;
        await untilSeen(late, receiverJid, devices, 'the client on node one to see both devices');
      } finally {
        rejoined();
      }
      const late = lateSender;
      if (late) await late.sendWhile(receiverJid, () => !sendingDone, PROBE_MS);
    })();
    const probing = (async () => {
      await holds[0]?.until;
      await probe.sendWhile(receiverJid, () => !sendingDone, PROBE_MS);
    })();
    await sending;
    sendingDone = true;
    const sendSeconds = (performance.now() - sendStart) / 1000;
    await Promise.all([faults, probing]);
    log(`all ${total} written in ${sendSeconds.toFixed(1)} s; settling`);

    const probeArrived = () =>
      receivers.map(
        (r) =>
          [...r.arrivals.keys()].filter((body) => !fromSenders(body) && parseBody(body)).length,
      );
    const probeWritten = () => probes.reduce((sum, p) => sum + p.written, 0);
    const { settled, settleSeconds, drained } = await settle({
      senders,
      probes,
      arrived: () => receivers.map(arrivedFromSenders),
      complete: (outbox, arrived) =>
        outbox === 0 &&
        arrived.every((count) => count === total) &&
        probeArrived().every((count) => count === probeWritten()),
      state: (outbox, arrived) => `${outbox} ${arrived.join(' ')} ${probeArrived().join(' ')}`,
      line: (outbox, arrived) =>
        `settling: outboxes ${outbox}, arrived ${arrived.join(' / ')} of ${total}`,
      quietMs: options.settleQuietMs,
      maxMs: options.settleMaxMs,
      everyMs: 250,
      log,
    });

    const peers = senders.map((sender) => sender.jid);
    const probeTimes = [...senders.map(() => [] as number[]), probe.writtenAt];
    const clients: ClusterClient[] = [];
    for (const [index, receiver] of receivers.entries()) {
      const counts = analyseClient(
        await receiver.histories(peers),
        options.messages,
        senders.map((sender) => sender.writtenAt.map((at) => performance.timeOrigin + at)),
      );
      const home = homes[index] as 1 | 2;
      clients.push({
        name: receiver.name,
        home,
        ...counts,
        arrived: arrivedFromSenders(receiver),
        backOnlineAfter: home === 1 ? firstAfter(receiver.onlineAt, killedAt) : null,
        firstLiveAfterKill: firstLiveAfter(receiver.arrivals, probeTimes, killedAt),
      });
    }
    // Where the lost and disordered messages went. A loaded node can take longer to read the
    // archive than a request may wait: the run's figures stand without it.
    let archive: Promise<ReadonlyMap<string, number>> | undefined;
    const readArchive = () =>
      (archive ??= archivedOriginIds(two.websocketUrl, receiverJid, PASSWORD));
    let traces: string[] = [];
    try {
      traces = await traceLosses(
        receivers.map((device, index) => ({ device, counts: clients[index] as ClusterClient })),
        readArchive,
        senders,
        receiverJid,
      );
      for (const line of traces) log(line);
      if (clients.some((c) => c.lost + c.outOfOrder > 0))
        for (const line of await traceMessages(
          receivers,
          clients,
          senders,
          receiverJid,
          await readArchive(),
          killedAt,
        ))
          note(line);
    } catch (error) {
      note(`the archive could not be read for the trace: ${String(error)}`);
    }
    // Each device's streams and catch-ups, from the kill on: what a loss lines up with.
    for (const receiver of receivers) {
      const since = (at: number) => `${((at - killedAt) / 1000).toFixed(2)}`;
      const streams = (receiver.onlineAt ?? []).map(since).join(' ');
      const statuses = (receiver.statuses ?? [])
        .filter((s) => s.status === 'syncing' || s.status === 'ready')
        .map((s) => `${s.status} ${since(s.at)}`)
        .join(', ');
      note(`${receiver.name}, seconds from the kill: streams ${streams}; ${statuses}`);
    }
    const summary = await senderSummary(senders, receiverJid);
    const { log: _log, serverLog: _serverLog, ...shown } = options;
    void _log;
    void _serverLog;
    return {
      options: shown,
      clients,
      senders: senders.map((sender, index) => ({
        name: `sender ${index}`,
        home: senderHome(index),
        backOnlineAfter: firstAfter(sender.onlineAt, killedAt),
        drainSeconds: drained[index] ?? null,
      })),
      ...summary,
      nodeDownSeenAfter,
      rejoinSeconds,
      probes: { written: probeWritten(), arrived: probeArrived() },
      sendSeconds,
      settleSeconds,
      settled,
      uncaught: run.uncaught.length,
      notes,
      traces,
    };
  });
}

/** Whether the run kept the promise: everything once, in order, readable, nothing left waiting. */
export function clusterClean(result: ClusterSoakResult): boolean {
  return (
    result.settled &&
    result.outboxLeft === 0 &&
    result.uncaught === 0 &&
    result.clients.every((c) => c.lost + c.duplicated + c.outOfOrder + c.undecryptable === 0)
  );
}

const seconds = (value: number | null) =>
  value === null || Number.isNaN(value) ? '-' : `${value.toFixed(2)} s`;

export function clusterTable(result: ClusterSoakResult): string {
  const { options } = result;
  const lines = [
    `Cluster soak: ${options.senders} senders x ${options.messages} messages ` +
      `(${options.senders * options.messages}) to one account with a device on each of two ejabberd ` +
      `nodes (over ${options.receiversOver === 'tls' ? 'direct TLS' : 'the websocket'}); node one SIGKILL at ${options.killAt * 100}% written (node two saw it gone after ` +
      `${seconds(result.nodeDownSeenAfter)}), started again at ${options.backAt * 100}% ` +
      `(rejoined in ${seconds(result.rejoinSeconds)}); sent in ${result.sendSeconds.toFixed(1)} s, ` +
      `settled ${result.settled ? 'fully' : 'partly'} in ${result.settleSeconds.toFixed(1)} s`,
    '',
    '| device | home node | arrived | lost | duplicated | out of order | undecryptable | kill to its next stream | kill to first live message |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of result.clients)
    lines.push(
      `| ${c.name} | ${c.home} | ${c.arrived} | ${c.lost} | ${c.duplicated} | ${c.outOfOrder} | ${c.undecryptable} | ${seconds(c.backOnlineAfter)} | ${seconds(c.firstLiveAfterKill)} |`,
    );
  lines.push(
    '',
    `Senders (home node: kill to next stream, outbox empty after): ` +
      result.senders
        .map(
          (s) => `${s.name} (${s.home}: ${seconds(s.backOnlineAfter)}, ${seconds(s.drainSeconds)})`,
        )
        .join(', '),
    `Left in senders' outboxes: ${result.outboxLeft}`,
    `Senders' messages by state: ${JSON.stringify(result.senderStates)}`,
    `Probe messages (node two, then node one after its return): ${result.probes.written} written, ` +
      `${result.probes.arrived.join(' / ')} arrived`,
  );
  if (Object.keys(result.senderErrors).length)
    lines.push(`Senders' errors: ${JSON.stringify(result.senderErrors)}`);
  const details: string[] = [];
  for (const c of result.clients)
    c.perSender.forEach((s, sender) => {
      if (s.missing.length)
        details.push(`${c.name}, sender ${sender}: missing ${s.missing.join(' ')}`);
      for (const line of s.disorder) details.push(`${c.name}, sender ${sender}: ${line}`);
      for (const [why, n] of Object.entries(s.undecryptableWhy))
        details.push(`${c.name}, sender ${sender}: ${n} undecryptable: ${why}`);
    });
  if (result.traces.length)
    lines.push('', 'Where the lost ones were lost:', ...result.traces.map((t) => `- ${t}`));
  if (details.length) lines.push('', 'Details:', ...details.map((d) => `- ${d}`));
  if (result.notes.length) lines.push('', 'Notes:', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

export function clusterJsonLine(result: ClusterSoakResult): string {
  const round = (value: number | null) =>
    value === null || Number.isNaN(value) ? null : Number(value.toFixed(2));
  return JSON.stringify({
    date: new Date().toISOString(),
    server: 'ejabberd-cluster',
    senders: result.options.senders,
    messages: result.options.messages,
    nodeDownSeenAfter: round(result.nodeDownSeenAfter),
    rejoinSeconds: round(result.rejoinSeconds),
    sendSeconds: round(result.sendSeconds),
    settleSeconds: round(result.settleSeconds),
    settled: result.settled,
    outboxLeft: result.outboxLeft,
    uncaught: result.uncaught,
    clients: result.clients.map((c) => ({
      name: c.name,
      home: c.home,
      lost: c.lost,
      duplicated: c.duplicated,
      outOfOrder: c.outOfOrder,
      undecryptable: c.undecryptable,
      backOnlineAfter: round(c.backOnlineAfter),
      firstLiveAfterKill: round(c.firstLiveAfterKill),
    })),
    senderClients: result.senders.map((s) => ({
      home: s.home,
      backOnlineAfter: round(s.backOnlineAfter),
      drainSeconds: round(s.drainSeconds),
    })),
  });
}
