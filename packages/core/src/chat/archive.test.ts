import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { serverSuite } from '@hush/test-utils';
import { openSession } from '../xmpp/session.ts';
import { buildChatMessage } from './build.ts';
import { parseIncoming } from './parse.ts';
import { catchUpArchive } from './archive.ts';

const suite = serverSuite({});

test('an offline recipient catches up from the archive in order, once, across pages, and resumes', async () => {
  await suite.server.createAccount('sender', 'sender-pw');
  await suite.server.createAccount('offline', 'offline-pw');
  const sender = await openSession({
    service: suite.server.websocketUrl,
    jid: 'sender@localhost',
    password: 'sender-pw',
  });
  const total = 230;
  for (let i = 0; i < total; i++) {
    await sender.send(
      buildChatMessage({ to: 'offline@localhost', id: `m-${i}`, body: `message ${i}` }),
    );
  }
  // A round trip guarantees the server has processed everything sent before it.
  await sender.request(
    xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
  );
  await sender.close();

  const receiver = await openSession({
    service: suite.server.websocketUrl,
    jid: 'offline@localhost',
    password: 'offline-pw',
  });
  try {
    const bodies: string[] = [];
    let pages = 0;
    const last = await catchUpArchive(receiver, {
      pageSize: 100,
      onPage: (page) => {
        pages++;
        for (const stanza of page.messages) {
          const parsed = parseIncoming(stanza, receiver.jid);
          if (parsed?.kind === 'chat' && parsed.body) bodies.push(parsed.body);
        }
      },
    });
    assert.equal(bodies.length, total);
    assert.deepEqual(
      bodies,
      Array.from({ length: total }, (_, i) => `message ${i}`),
      'in order, once',
    );
    assert.ok(pages >= 3, `paged (${pages} pages)`);
    assert.ok(last);

    // Resuming from the last id fetches nothing new; an unknown id restarts from the oldest kept.
    let again = 0;
    await catchUpArchive(receiver, {
      after: last,
      onPage: (page) => void (again += page.messages.length),
    });
    assert.equal(again, 0);
    let restarted = 0;
    await catchUpArchive(receiver, {
      after: 'no-such-id',
      onPage: (page) => void (restarted += page.messages.length),
    });
    assert.equal(restarted, total);
  } finally {
    await receiver.close();
  }
});
