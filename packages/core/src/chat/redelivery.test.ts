import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redelivery } from './redelivery.ts';

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
