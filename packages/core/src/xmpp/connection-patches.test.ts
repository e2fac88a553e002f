// xmpp.js's IQ caller with an error reply that comes before the request is written: without the
// patch Node sees an unhandled rejection (which libsignal's curve25519 build turns into an abort,
// and node:test into this test's failure); with it, none, and the caller still gets the error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iqCaller from '@xmpp/iq/caller.js';
import xml from '@xmpp/xml';
import type { XmppClient } from '@xmpp/client';
import { handleIqRepliesAtOnce } from './connection-patches.ts';

interface Caller {
  request(stanza: ReturnType<typeof xml>, timeout?: number): Promise<unknown>;
  _route(context: object, next: () => void): void;
}

/** A caller whose writes finish a moment after the server has already answered with an error. */
function callerAnsweredEarly(patched: boolean) {
  let written: () => void = () => undefined;
  const caller = iqCaller({
    entity: { send: () => new Promise<void>((resolve) => (written = resolve)) },
    middleware: { use: () => undefined },
  }) as Caller;
  if (patched) handleIqRepliesAtOnce({ iqCaller: caller } as unknown as XmppClient);
  const request = caller.request(xml('iq', { type: 'set', id: 'q1' }));
  const error = xml(
    'iq',
    { type: 'error', id: 'q1' },
    xml(
      'error',
      { type: 'modify' },
      xml('bad-request', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
    ),
  );
  caller._route({ type: 'error', name: 'iq', id: 'q1', stanza: error }, () => undefined);
  return { request, write: () => written() };
}

async function unhandledWhile(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await run();
    // Node reports unhandled rejections after the microtasks of the turn: give it a turn.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

test('with the patch nothing is unhandled, and the request still rejects with the error', async () => {
  const seen = await unhandledWhile(async () => {
    const { request, write } = callerAnsweredEarly(true);
    await new Promise((resolve) => setImmediate(resolve));
    write();
    await assert.rejects(request, (error: Error) => error.name === 'StanzaError');
  });
  assert.deepEqual(seen, []);
});
