// One soak run: N senders write M messages each to one account whose devices are a core client, the
// CLI's listener and web apps, while the senders' connections are cut every 0.2-1 s, Prosody is
// killed (SIGKILL) and started again, and the CLI listener is killed while it catches up from the
// archive. Afterwards every device's stored history and every sender's outbox say what happened.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trustCertificateAuthority, until } from '@hush/test-utils';
import { startStack } from '../../e2e/harness.ts';
import { analyseClient, firstLiveAfter, type ClientCounts } from './analysis.ts';
import {
  CliReceiver,
  startCoreReceiver,
  WebReceiver,
  type CliExit,
  type ClientType,
  type Receiver,
} from './receivers.ts';
import {
  progress,
  untilSeen,
  senderSummary,
  settle,
  type SenderSummary,
  type SoakBasics,
  withSoakRun,
} from './driver.ts';
import { Sender } from './senders.ts';
import { archivedOriginIds, traceLosses } from './trace.ts';

export interface SoakOptions extends SoakBasics {
  /** Web app devices of the receiving account. */
  readonly browsers: number;
  /** Whether the CLI listener is one of its devices (and is killed mid-catch-up). */
  readonly cli: boolean;
  /**
   * When things happen, as fractions of all messages written: the proxies cut between
   * `cuts[i][0]` and `cuts[i][1]`; the CLI listener is killed at `cliDownAt` and started again at
   * `cliBackAt` (and killed once more while it catches up); Prosody restarts at `restartAt`, after
   * which no device is disturbed on purpose, so what each receives from then on is live delivery.
   */
  readonly cuts: readonly (readonly [number, number])[];
  readonly cliDownAt: number;
  readonly cliBackAt: number;
  readonly restartAt: number;
}

export const defaultOptions: SoakOptions = {
  senders: 5,
  messages: 200,
  intervalMs: 100,
  browsers: 2,
  cli: true,
  cuts: [[0, 1]],
  cliDownAt: 0.15,
  cliBackAt: 0.3,
  restartAt: 0.5,
  settleQuietMs: 30_000,
  settleMaxMs: 240_000,
  log: () => undefined,
};

export interface ClientResult extends ClientCounts {
  readonly name: string;
  readonly type: ClientType;
  /**
   * Seconds from Prosody accepting connections again to the first live message (firstLiveAfter) of
   * the probe, which writes every PROBE_MS through a connection that is not cut.
   */
  readonly firstLiveAfterRestart: number | null;
  /** The same for the messages of the senders whose connections are being cut. */
  readonly firstLiveFromCutSenders: number | null;
  /** Distinct soak messages that reached the device (events, lines or stored records). */
  readonly arrived: number;
}

export interface CatchUpKill {
  /** Messages written while the listener was away. */
  readonly missed: number;
  /** Message lines the listener printed before it was killed. */
  readonly linesBeforeKill: number;
  /** Whether it had finished its catch-up ('ready') before the kill landed. */
  readonly readyBeforeKill: boolean;
  /** Seconds from the start after the kill to 'ready'. */
  readonly secondsToReady: number | null;
  /** The last messages the killed process printed (what it was handling when it died follows). */
  readonly lastPrinted: readonly string[];
}

export interface SoakResult extends SenderSummary {
  readonly options: Omit<SoakOptions, 'log' | 'serverLog'>;
  readonly clients: readonly ClientResult[];
  readonly cuts: number;
  /** Seconds from SIGKILL to Prosody accepting connections again. */
  readonly restartSeconds: number;
  readonly sendSeconds: number;
  readonly settleSeconds: number;
  /** Whether settling ended with everything delivered and every outbox empty. */
  readonly settled: boolean;
  readonly cliExits: readonly CliExit[];
  readonly catchUpKill: CatchUpKill | null;
  readonly notes: readonly string[];
  /** Where the lost messages got lost, per device. */
  readonly traces: readonly string[];
  /** Errors that nothing handled in this process (the senders and the core device). */
  readonly uncaught: number;
  /** Seconds from the end of writing (cuts stopped) to each sender's outbox being empty. */
  readonly drainSeconds: readonly (number | null)[];
  /** Seconds from the restart to the core device's new stream, and its catch-up on it. */
  readonly coreNewStream: number | null;
  readonly coreCatchUp: number | null;
}

const PASSWORD = 'soak-password-1';
const PROBE_MS = 250;

export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakResult> {
  const options: SoakOptions = { ...defaultOptions, ...partial };
  const { log } = options;
  return withSoakRun('hush-soak-', log, async (run) => {
    const { dir, note, notes, receivers, senders, probes } = run;
    const stack = await startStack();
    run.stopServer = () => stack.stop();
    const serverLog = options.serverLog;
    if (serverLog)
      run.beforeClose = () => copyFile(join(stack.prosody.logDir, 'prosody.log'), serverLog);
    const server = stack.prosody;
    trustCertificateAuthority(server.caCert);
    const receiverJid = await server.createAccount('receiver', PASSWORD);
    for (let i = 0; i <= options.senders; i++) await server.createAccount(`sender${i}`, PASSWORD);
    log(`Prosody on ${server.websocketUrl}, web app on ${stack.url}, files in ${dir}`);

    // The receiving account's devices first, so the senders encrypt for all of them from the start.
    receivers.push(
      await startCoreReceiver({ service: server.websocketUrl }, receiverJid, PASSWORD, note),
    );
    const started = performance.now();
    let cli: CliReceiver | undefined;
    let catchUpPlan: { killAfter: number; killed: boolean } | undefined;
    const catchUpKill = {
      missed: 0,
      linesBeforeKill: 0,
      readyBeforeKill: false,
      secondsToReady: null as number | null,
      lastPrinted: [] as string[],
    };
    if (options.cli) {
      cli = new CliReceiver(
        join(dir, 'cli'),
        receiverJid,
        PASSWORD,
        server.caFile,
        started,
        (c) => {
          if (catchUpPlan && !catchUpPlan.killed && c.lines >= catchUpPlan.killAfter) {
            catchUpPlan.killed = true;
            catchUpKill.readyBeforeKill = c.ready;
            catchUpKill.linesBeforeKill = c.lines;
            void c.kill();
          }
        },
      );
      await cli.login(server.websocketUrl);
      cli.start();
      await cli.whenReady();
      receivers.push(cli);
    }
    for (let i = 1; i <= options.browsers; i++)
      receivers.push(await WebReceiver.start(stack, `web-${i}`, receiverJid, PASSWORD, note));
    log(`receiver devices: ${receivers.map((r) => r.name).join(', ')}`);

    for (let i = 0; i < options.senders; i++)
      senders.push(await Sender.start(server, i, PASSWORD, dir));
    const devices = receivers.length;
    for (const sender of senders)
      await untilSeen(
        sender,
        receiverJid,
        devices,
        `${sender.jid} to see every device of ${receiverJid}`,
      );
    // The probe writes every PROBE_MS from the restart on, through a proxy that is never cut: the
    // time to its first live message is the device's own, not the cut senders' reconnection.
    const probe = await Sender.start(server, options.senders, PASSWORD, dir);
    probes.push(probe);
    await untilSeen(probe, receiverJid, devices, `the probe to see every device of ${receiverJid}`);
    log(`${senders.length} senders connected through their proxies`);

    const { total, fromSenders, arrivedFromSenders, written, whenWritten } = progress(
      senders,
      options,
    );

    let restartSeconds = NaN;
    let restartedAt = NaN;

    const sendStart = performance.now();
    // However slow the machine, the restart comes mid-run: the senders hold the last part of their
    // messages back until Prosody is back.
    let restartDone: () => void = () => undefined;
    const restarted = new Promise<void>((resolve) => (restartDone = resolve));
    const hold = {
      at: Math.ceil(options.messages * Math.min(1, options.restartAt + 0.1)),
      until: restarted,
    };
    const sending = Promise.all(
      senders.map((sender) =>
        sender.send(receiverJid, options.messages, options.intervalMs, [hold]),
      ),
    );
    const cutting = (async () => {
      for (const [from, to] of options.cuts) {
        await whenWritten(from);
        for (const sender of senders) sender.startCuts();
        log(`cuts on at ${written()} of ${total} written`);
        await whenWritten(to);
        await Promise.all(senders.map((sender) => sender.stopCuts()));
        log(`cuts off at ${written()} of ${total} written`);
      }
    })();
    const catchingUp = (async () => {
      if (!cli) return;
      await whenWritten(options.cliDownAt);
      const downAt = written();
      if (cli.running) {
        await cli.kill();
        log(`CLI listener SIGKILL at ${downAt} of ${total} written`);
      } else note(`the CLI listener was not running at ${downAt} of ${total} written`);
      // Back once the archive holds enough for it to catch up on: what the always-on core device
      // got and this one did not.
      const core = receivers[0] as Receiver;
      const missed = () => [...core.arrivals.keys()].filter((b) => !cli.arrivals.has(b)).length;
      await whenWritten(options.cliBackAt);
      await until(
        () =>
          missed() >= Math.min(10, total - downAt) ||
          written() >= Math.min(total, hold.at * options.senders),
        'messages for the CLI listener to catch up on',
        120_000,
        50,
      );
      catchUpKill.missed = missed();
      catchUpPlan = { killAfter: Math.max(1, Math.ceil(catchUpKill.missed / 3)), killed: false };
      cli.start();
      log(`CLI listener started to catch up ${catchUpKill.missed} messages`);
      await until(
        () => catchUpPlan?.killed || !cli.running,
        'the CLI listener to be killed mid-catch-up',
        120_000,
        10,
      );
      await until(() => !cli.running, 'the killed CLI listener to exit', 30_000, 10);
      catchUpKill.lastPrinted = cli.printed.slice(-3);
      log(
        `CLI listener SIGKILL after ${catchUpKill.linesBeforeKill} message lines` +
          (catchUpKill.readyBeforeKill ? ' (its catch-up had finished)' : ' (mid-catch-up)'),
      );
      const again = performance.now();
      cli.start();
      try {
        await cli.whenReady();
        catchUpKill.secondsToReady = (performance.now() - again) / 1000;
      } catch (error) {
        note(`the CLI listener did not come back: ${(error as Error).message}`);
      }
    })();

    // The restart waits for the CLI's catch-up to be over: from then on no device is disturbed on
    // purpose, so whatever reaches it is live delivery.
    const restarting = (async () => {
      await catchingUp.catch(() => undefined);
      await whenWritten(options.restartAt);
      if (written() === total) note('Prosody restarted after the last message was written');
      log(`Prosody SIGKILL at ${written()} of ${total} written`);
      const killedAt = performance.now();
      await server.restart({ kill: true });
      restartedAt = performance.now();
      restartSeconds = (restartedAt - killedAt) / 1000;
      log(`Prosody back after ${restartSeconds.toFixed(2)} s`);
    })().finally(restartDone);
    let sendingDone = false;
    const probing = restarting.then(() =>
      probe.sendWhile(receiverJid, () => !sendingDone, PROBE_MS),
    );
    await sending;
    sendingDone = true;
    const sendSeconds = (performance.now() - sendStart) / 1000;
    await Promise.all([cutting, restarting, catchingUp, probing]);
    await Promise.all(senders.map((sender) => sender.stopCuts()));
    log(`all ${total} written in ${sendSeconds.toFixed(1)} s; settling`);

    // Settle: until every device has every message and every outbox is empty, or nothing changes.
    const { settled, settleSeconds, drained } = await settle({
      senders,
      probes: [probe],
      arrived: () =>
        receivers.map((r) =>
          Math.max(arrivedFromSenders(r), r instanceof CliReceiver ? r.stored(fromSenders) : 0),
        ),
      complete: (outbox, arrived) =>
        outbox === 0 &&
        arrived.every((count) => count === total) &&
        receivers
          .map((r) => r.arrivals.size - arrivedFromSenders(r))
          .every((count) => count === probe.written),
      state: (outbox, arrived) => `${outbox} ${arrived.join(' ')}`,
      line: (outbox, arrived) =>
        `settling: outboxes ${outbox}, arrived ${arrived.join(' / ')} of ${total}, ` +
        `senders ${senders.map((sender) => sender.status).join(' ')}`,
      quietMs: options.settleQuietMs,
      maxMs: options.settleMaxMs,
      everyMs: 500,
      log,
    });

    const peers = senders.map((sender) => sender.jid);
    const clients: ClientResult[] = [];
    for (const receiver of receivers) {
      const counts = analyseClient(
        await receiver.histories(peers),
        options.messages,
        senders.map((sender) => sender.writtenAt.map((at) => performance.timeOrigin + at)),
      );
      clients.push({
        name: receiver.name,
        type: receiver.type,
        ...counts,
        firstLiveAfterRestart: firstLiveAfter(
          receiver.arrivals,
          [...senders.map(() => []), probe.writtenAt],
          restartedAt,
        ),
        firstLiveFromCutSenders: firstLiveAfter(
          receiver.arrivals,
          senders.map((sender) => sender.writtenAt),
          restartedAt,
        ),
        arrived: arrivedFromSenders(receiver),
      });
    }
    // The core device's catch-up on its new stream after the restart: 'syncing' to 'ready'.
    const core = receivers[0] as Receiver;
    const syncing = core.statuses?.find((s) => s.status === 'syncing' && s.at >= restartedAt);
    const ready = core.statuses?.find((s) => s.status === 'ready' && s.at >= (syncing?.at ?? 0));
    const coreCatchUp = syncing && ready ? (ready.at - syncing.at) / 1000 : null;
    if (syncing)
      log(
        `core: new stream ${((syncing.at - restartedAt) / 1000).toFixed(2)} s after the restart, ` +
          `catch-up ${coreCatchUp === null ? 'unfinished' : `${coreCatchUp.toFixed(2)} s`}`,
      );

    // Where the lost messages got lost: the archive, and the core device's raw stream.
    const traces = await traceLosses(
      receivers.map((device, index) => ({ device, counts: clients[index] as ClientResult })),
      () => archivedOriginIds(server.websocketUrl, receiverJid, PASSWORD),
      senders,
      receiverJid,
    );
    for (const line of traces) log(line);
    if (cli?.errors.length) {
      const counts = new Map<string, number>();
      for (const line of cli.errors) counts.set(line, (counts.get(line) ?? 0) + 1);
      for (const [line, n] of counts) note(`CLI stderr${n > 1 ? ` (${n} times)` : ''}: ${line}`);
    }
    const summary = await senderSummary(senders, receiverJid);
    const { log: _log, serverLog: _serverLog, ...shown } = options;
    void _log;
    void _serverLog;
    return {
      options: shown,
      clients,
      ...summary,
      cuts: senders.reduce((sum, sender) => sum + sender.cuts, 0),
      restartSeconds,
      sendSeconds,
      settleSeconds,
      settled,
      cliExits: cli?.exits ?? [],
      catchUpKill: cli ? catchUpKill : null,
      notes,
      traces,
      uncaught: run.uncaught.length,
      drainSeconds: drained,
      coreNewStream: syncing ? (syncing.at - restartedAt) / 1000 : null,
      coreCatchUp,
    };
  });
}
