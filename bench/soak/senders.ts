// The sending accounts: core clients (startClient, OMEMO on, SQLite storage as the CLI keeps it),
// each reaching Prosody's websocket through a TCP proxy of its own that the run cuts at random.
import { join } from 'node:path';
import { openSession, startClient, type HushClient, type Storage } from '@hush/core';
import { openSqliteStorage } from '@hush/storage-node';
import { startTcpProxy, type ProsodyServer, type TcpProxy } from '@hush/test-utils';
import { soakBody } from './analysis.ts';

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

export class Sender {
  /** Messages handed to sendText so far: the next one written is number `written`. */
  written = 0;
  /** performance.now() when each message was handed to sendText, by number. */
  readonly writtenAt: number[] = [];
  cuts = 0;
  private cutting = false;
  private cutLoop: Promise<void> = Promise.resolve();

  readonly index: number;
  readonly jid: string;
  /** Messenger errors by code. */
  readonly errors: Map<string, number>;
  private readonly proxy: TcpProxy;
  private readonly storage: Storage;
  private readonly client: HushClient;

  private constructor(
    index: number,
    jid: string,
    proxy: TcpProxy,
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
  }

  static async start(
    server: ProsodyServer,
    index: number,
    password: string,
    dir: string,
  ): Promise<Sender> {
    const jid = `sender${index}@${server.domain}`;
    const proxy = await startTcpProxy(server.ports.https);
    const storage = await openSqliteStorage(join(dir, `sender${index}.db`));
    // The proxy forwards bytes: TLS is still between the client and Prosody, for the name localhost.
    const session = await openSession({
      service: `wss://${server.domain}:${proxy.port}/xmpp-websocket`,
      jid,
      password,
      resource: 'soak',
    });
    const errors = new Map<string, number>();
    const client = await startClient({
      session,
      storage,
      clientType: 'pc',
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
   * `hold.until` before message `hold.at`.
   */
  async send(
    peer: string,
    count: number,
    intervalMs: number,
    hold?: { readonly at: number; readonly until: Promise<void> },
  ): Promise<void> {
    for (let seq = 0; seq < count; seq++) {
      if (seq === hold?.at) await hold.until;
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
    if (this.cutting) return;
    this.cutting = true;
    this.cutLoop = (async () => {
      while (this.cutting) {
        await pause(200 + Math.random() * 800);
        if (!this.cutting) break;
        this.proxy.cut();
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
    await this.proxy.close();
    await this.storage.close();
  }
}
