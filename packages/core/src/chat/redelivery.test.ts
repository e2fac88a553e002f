import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import {
  startProsody,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import { openSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import { Messenger } from './messenger.ts';
import { NS_SID } from './namespaces.ts';
import { Redelivery } from './redelivery.ts';

let server: ProsodyServer;
const open: { close(): Promise<void> }[] = [];
before(async () => {
  server = await startProsody();
  trustCertificateAuthority(server.caCert);
  for (const name of ['writer', 'reader']) await server.createAccount(name, 'redelivery-password');
});
after(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => undefined);
  await server?.stop();
});

function setUp(afterMs = 1000) {
  let now = 0;
  const resent: string[] = [];
  const redelivery = new Redelivery({
    resend: (peer, id) => resent.push(`${peer} ${id}`),
    afterMs,
    recentMs: 60_000,
    now: () => now,
  });
  return {
    redelivery,
    resent,
    advance(ms: number) {
      now += ms;
      redelivery.check();
    },
  };
}

test('a receipt for a later message sends the earlier unconfirmed ones again, once', () => {
  const { redelivery, resent } = setUp();
  for (const id of ['m1', 'm2', 'm3', 'm4']) redelivery.noteSent('fay@x', id);
  redelivery.noteSent('hal@x', 'h1');
  redelivery.noteConfirmed('fay@x', 'm1');
  assert.deepEqual(resent, []);
  redelivery.noteConfirmed('fay@x', 'm4');
  assert.deepEqual(resent, ['fay@x m2', 'fay@x m3']);
  // Their second ack and a later receipt do not send them a third time.
  redelivery.noteSent('fay@x', 'm2');
  redelivery.noteSent('fay@x', 'm5');
  redelivery.noteConfirmed('fay@x', 'm5');
  assert.deepEqual(resent, ['fay@x m2', 'fay@x m3']);
  redelivery.stop();
});

test('nothing confirmed in time: sent again only to a peer that confirms messages', () => {
  const { redelivery, resent, advance } = setUp(1000);
  redelivery.noteSent('fay@x', 'f0');
  redelivery.noteConfirmed('fay@x', 'f0');
  redelivery.noteSent('fay@x', 'f1');
  redelivery.noteSent('bot@x', 'b1');
  advance(500);
  redelivery.noteSent('fay@x', 'f2');
  advance(600);
  assert.deepEqual(resent, ['fay@x f1']);
  advance(1000);
  // A peer that never sent a receipt (a client without XEP-0184) gets nothing twice.
  assert.deepEqual(resent, ['fay@x f1', 'fay@x f2']);
  advance(10_000);
  assert.equal(resent.length, 2);
  // Until the bot confirms a later one: then the earlier one goes again.
  redelivery.noteSent('bot@x', 'b2');
  redelivery.noteConfirmed('bot@x', 'b2');
  assert.deepEqual(resent.slice(2), ['bot@x b1']);
  redelivery.stop();
});

test('a receipt before the ack, or in time, sends nothing again', () => {
  const { redelivery, resent, advance } = setUp(1000);
  redelivery.noteConfirmed('fay@x', 'early');
  redelivery.noteSent('fay@x', 'early');
  redelivery.noteSent('fay@x', 'ontime');
  advance(500);
  redelivery.noteConfirmed('fay@x', 'ontime');
  advance(5000);
  assert.deepEqual(resent, []);
  redelivery.stop();
});

test('a message lost after the server took it is sent again and read where it was written, not where it arrived', async () => {
  const session = (name: string) =>
    openSession({
      service: server.websocketUrl,
      jid: `${name}@localhost`,
      password: 'redelivery-password',
    }).then((opened) => (open.push(opened), opened));
  const [writerSession, readerSession] = [await session('writer'), await session('reader')];
  // The reader's device never sees the first copy of 'two': the server took it (and acked it to
  // the writer), then lost it, as a cluster node that dies while routing it does.
  let dropped = 0;
  const listen = readerSession.onStanza.bind(readerSession);
  readerSession.onStanza = (listener) =>
    listen((stanza: Element) => {
      const id = stanza.getChild('origin-id', NS_SID)?.attrs.id;
      if (stanza.getChildText('body') === 'two' && dropped++ === 0 && id) return;
      listener(stanza);
    });
  const writerStorage = createMemoryStorage();
  const readerStorage = createMemoryStorage();
  const writer = new Messenger({
    session: writerSession,
    storage: writerStorage,
    redeliverAfterMs: 2000,
  });
  const reader = new Messenger({ session: readerSession, storage: readerStorage });
  open.push(writer, reader);
  await Promise.all([writer.start(), reader.start()]);
  const bodies = ['one', 'two', 'three', 'four'];
  for (const body of bodies) {
    await writer.sendText('reader@localhost', body);
    // Each one taken by the server before the next is written.
    await until(
      () => writer.getSnapshot().pending === 0,
      `the server's ack of '${body}'`,
      10_000,
      5,
    );
  }
  const read = await until(
    async () => {
      const history = await readerStorage.messages.history('reader@localhost', 'writer@localhost', {
        limit: 10,
      });
      return history.length === bodies.length ? history.map((m) => m.body) : undefined;
    },
    "every message at the reader, 'two' sent again",
    30_000,
    20,
  );
  assert.equal(dropped, 2, "the first copy of 'two' was dropped, the second arrived");
  assert.deepEqual(read, bodies);
});
