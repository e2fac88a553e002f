import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { startProsody } from './prosody.ts';

test('two throwaway servers run side by side on their own ports and directories, and stop', async () => {
  const [a, b] = await Promise.all([startProsody(), startProsody()]);
  try {
    assert.notEqual(a.dir, b.dir);
    assert.notDeepEqual(a.ports, b.ports);
    assert.match(await a.readLogs(), /Activated service 'c2s'/);
    const invite = await a.createInvite();
    assert.match(invite, /^xmpp:localhost\?register;preauth=[\w-]+$/);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  assert.equal(existsSync(a.dir), false);
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect(a.ports.c2s, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
  assert.equal(refused, true, 'the stopped server no longer accepts connections');
});
