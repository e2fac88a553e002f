// The sending accounts: core clients (startClient, OMEMO on, SQLite storage as the CLI keeps it),
// each reaching Prosody's websocket through a TCP proxy of its own that the run cuts at random, or
// (startAt) a server's addresses directly, failing over between them.
import { join } from 'node:path';
import { startClient, type HushClient, type Storage, type XmppSession } from '@hush/core';
import { openSqliteStorage } from '@hush/storage-node';
import { startTcpProxy, type ProsodyServer, type TcpProxy } from '@hush/test-utils';
import { soakBody } from './analysis.ts';
import { login, type Endpoint } from './receivers.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface OutboxLeft {
  /** Entries still in the sender's outbox. */
  readonly entries: number;
  /** Of those, entries whose message the receiver already confirmed (receipt or read marker). */
  readonly delivered: number;
  /** Of those, entries whose stanza was never built (written while offline, not yet encrypted). */
  readonly unencrypted: number;
  /** The numbers of the messages they carry. */
  readonly seqs: number[];
}

/** Message `at` waits for `until`: a fault lands mid-run however slow the machine. */
export interface Hold {
  readonly at: number;
  readonly until: Promise<void>;
}

export class Sender {
  /** Messages handed to sendText so far: the next one written is number `written`. */
  written = 0;
  /** performance.now() when each message was handed to sendText, by number. */
  readonly writtenAt: number[] = [];
  cuts = 0;
  /** performance.now() of every new or resumed stream after the first. */
  readonly onlineAt: number[] = [];
  private cutting = false;
  private cutLoop: Promise<void> = Promise.resolve();

  readonly index: number;
  readonly jid: string;
  /** Messenger errors by code. */
  readonly errors: Map<string, number>;
  private readonly proxy: TcpProxy | undefined;
  private readonly storage: Storage;
  private readonly client: HushClient;

  private constructor(
    index: number,
    jid: string,
    proxy: TcpProxy | undefined,
    storage: Storage,
    client: HushClient,
    errors: Map<string, number>,
  ) {
    this.index = index;
    this.jid = jid;
    this.proxy = proxy;
    this.storage = storage;
    this.client = client;
    this.errors = errors;
    const online = () => this.onlineAt.push(performance.now());
    client.session.client.on('online', online);
    client.session.client.streamManagement.on('resumed', online);
  }

  static async start(
    server: ProsodyServer,
    index: number,
    password: string,
    dir: string,
  ): Promise<Sender> {
    const jid = `sender${index}@${server.domain}`;
    const proxy = await startTcpProxy(server.ports.https);
    // The proxy forwards bytes: TLS is still between the client and Prosody, for the name localhost.
    const session = await login({
      service: `wss://${server.domain}:${proxy.port}/xmpp-websocket`,
      jid,
      password,
      resource: 'soak',
    });
    return Sender.open(index, jid, session, dir, proxy);
  }

  /** A sender that connects to `at` (failing over to its alternatives), with no proxy to cut. */
  static async startAt(
    at: Endpoint,
    index: number,
    jid: string,
    password: string,
    dir: string,
    redeliverAfterMs?: number,
  ): Promise<Sender> {
    const session = await login({
      service: at.service,
      ...(at.alternatives ? { alternatives: at.alternatives } : {}),
      jid,
      password,
      resource: 'soak',
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
    });
    return Sender.open(index, jid, session, dir, undefined, redeliverAfterMs);
  }

  private static async open(
    index: number,
    jid: string,
    session: XmppSession,
    dir: string,
    proxy: TcpProxy | undefined,
    redeliverAfterMs?: number,
  ): Promise<Sender> {
    const storage = await openSqliteStorage(join(dir, `sender${index}.db`));
    const errors = new Map<string, number>();
    const client = await startClient({
      session,
      storage,
      clientType: 'pc',
      ...(redeliverAfterMs !== undefined ? { redeliverAfterMs } : {}),
      onMessengerEvent: (event) => {
        if (event.type === 'error')
          errors.set(event.error.code, (errors.get(event.error.code) ?? 0) + 1);
      },
    });
    return new Sender(index, jid, proxy, storage, client, errors);
  }

  /** The active OMEMO devices of `peer` this sender will encrypt for. */
  async peerDevices(peer: string): Promise<number> {
    const devices = (await this.client.omemo?.devices(peer)) ?? [];
    return devices.filter((device) => device.active).length;
  }

  /**
   * Writes messages 0..count-1 to `peer`, about `intervalMs` apart (jittered 0.5-1.5x), waiting for
   * each hold's `until` before its message `at`.
   */
  async send(
    peer: string,
    count: number,
    intervalMs: number,
    holds: readonly Hold[] = [],
  ): Promise<void> {
    for (let seq = 0; seq < count; seq++) {
      for (const h of holds) if (seq === h.at) await h.until;
      this.writtenAt[seq] = performance.now();
      await this.client.messenger.sendText(peer, soakBody(this.index, seq));
      this.written = seq + 1;
      await pause(intervalMs * (0.5 + Math.random()));
    }
  }

  /** Writes a message every `intervalMs` (numbered on from `written`) while `keepGoing()`. */
  async sendWhile(peer: string, keepGoing: () => boolean, intervalMs: number): Promise<void> {
    while (keepGoing()) {
      const seq = this.written;
      this.writtenAt[seq] = performance.now();
      await this.client.messenger.sendText(peer, soakBody(this.index, seq));
      this.written = seq + 1;
      await pause(intervalMs);
    }
  }

  /** Cuts this sender's connection every 0.2-1 s until `stopCuts()`. */
  startCuts(): void {
    const proxy = this.proxy;
    if (this.cutting || !proxy) return;
    this.cutting = true;
    this.cutLoop = (async () => {
      while (this.cutting) {
        await pause(200 + Math.random() * 800);
        if (!this.cutting) break;
        proxy.cut();
        this.cuts++;
      }
    })();
  }

  async stopCuts(): Promise<void> {
    this.cutting = false;
    await this.cutLoop;
  }

  /** xmpp.js's connection status ('online', 'connecting', 'disconnect', ...). */
  get status(): string {
    return this.client.session.client.status;
  }

  async outboxSize(): Promise<number> {
    return (await this.storage.outbox.list(this.jid)).length;
  }

  async outboxLeft(): Promise<OutboxLeft> {
    const entries = await this.storage.outbox.list(this.jid);
    let delivered = 0;
    let unencrypted = 0;
    const seqs: number[] = [];
    for (const entry of entries) {
      const message = await this.storage.messages.get(this.jid, entry.messageId);
      if (message?.state === 'delivered' || message?.state === 'read') delivered++;
      if (entry.stanzaXml === '') unencrypted++;
      const seq = /^soak \d+ (\d+)$/.exec(message?.body ?? '')?.[1];
      if (seq !== undefined) seqs.push(Number(seq));
    }
    return { entries: entries.length, delivered, unencrypted, seqs: seqs.sort((a, b) => a - b) };
  }

  /** The number of each message this sender wrote to `peer`, by its origin-id. */
  async seqsByOriginId(peer: string): Promise<Map<string, number>> {
    const seqs = new Map<string, number>();
    for (const message of await this.storage.messages.history(this.jid, peer, {
      limit: 1_000_000,
    })) {
      const seq = /^soak \d+ (\d+)$/.exec(message.body)?.[1];
      if (message.direction === 'out' && seq !== undefined)
        seqs.set(message.originId ?? message.id, Number(seq));
    }
    return seqs;
  }

  /** How many of its messages stand in each state ('pending', 'sent', 'delivered', ...). */
  async states(peer: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const message of await this.storage.messages.history(this.jid, peer, {
      limit: 1_000_000,
    })) {
      if (message.direction === 'out') counts[message.state] = (counts[message.state] ?? 0) + 1;
    }
    return counts;
  }

  async close(): Promise<void> {
    await this.stopCuts();
    await this.client.close().catch(() => undefined);
    await this.client.session.close().catch(() => undefined);
    await this.proxy?.close();
    await this.storage.close();
  }
}
