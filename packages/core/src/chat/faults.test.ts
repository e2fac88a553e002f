// Network cuts: a proxy between the sender and the server drops the connection mid-send, over and
// over; every message must still arrive exactly once and leave the outbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSuite, startTcpProxy, until, type TcpProxy } from '@hush/test-utils';
import { openSession } from '../xmpp/session.ts';
import { createMemoryStorage } from '../storage/memory.ts';
import { Messenger } from './messenger.ts';

let proxy: TcpProxy;
const suite = serverSuite({
  started: async (server) => {
    proxy = await startTcpProxy(server.ports.c2sTls);
  },
  server: { settings: { C2S_RATE: '10mb/s' } },
  accounts: ['sender', 'receiver'],
  password: (name) => `${name}-password`,
  closeFirst: () => proxy?.close(),
});

test(
  '100 connection cuts mid-send: every message arrives exactly once',
  { timeout: 240_000 },
  async () => {
    const senderStorage = createMemoryStorage();
    const receiverStorage = createMemoryStorage();
    const senderSession = await openSession({
      service: `xmpps://localhost:${proxy.port}`,
      jid: 'sender@localhost',
      password: 'sender-password',
      reconnect: { initialDelayMs: 20, maxDelayMs: 400 },
    });
    const receiverSession = await openSession({
      service: suite.server.websocketUrl,
      jid: 'receiver@localhost',
      password: 'receiver-password',
    });
    const sender = new Messenger({ session: senderSession, storage: senderStorage });
    const receiver = new Messenger({ session: receiverSession, storage: receiverStorage });
    await Promise.all([sender.start(), receiver.start()]);
    const total = 100;
    try {
      for (let i = 0; i < total; i++) {
        // After i cuts the sender is on its (i+1)th connection, and back online.
        await until(
          () => proxy.accepted > i && senderSession.client.status === 'online',
          `reconnection before message ${i}`,
          30_000,
          10,
        );
        void sender.sendText('receiver@localhost', `cut ${i}`);
        // Cut at a different moment each time: before, during or just after the stanza goes out.
        await new Promise((resolve) => setTimeout(resolve, i % 7));
        proxy.cut();
      }
      await until(
        async () => {
          const page = await receiverStorage.messages.history(
            'receiver@localhost',
            'sender@localhost',
            { limit: 1000 },
          );
          return page.length >= total && sender.getSnapshot().pending === 0;
        },
        'all messages delivered and acked',
        120_000,
      );
      const bodies = (
        await receiverStorage.messages.history('receiver@localhost', 'sender@localhost', {
          limit: 1000,
        })
      ).map((message) => message.body);
      assert.equal(bodies.length, total, 'no duplicates');
      assert.deepEqual(
        new Set(bodies),
        new Set(Array.from({ length: total }, (_, i) => `cut ${i}`)),
        'none missing',
      );
      assert.ok(proxy.accepted >= total, `the proxy saw ${proxy.accepted} connections`);
      const states = (
        await senderStorage.messages.history('sender@localhost', 'receiver@localhost', {
          limit: 1000,
        })
      ).map((message) => message.state);
      assert.ok(
        states.every((state) => state === 'sent' || state === 'delivered' || state === 'read'),
        states.join(),
      );
    } finally {
      await sender.close();
      await receiver.close();
      await senderSession.close();
      await receiverSession.close();
    }
  },
);
