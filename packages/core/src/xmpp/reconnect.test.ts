// How an xmpp.js client starts: a stream that fails to open leaves no promise behind for a later
// 'error' (a refused login still running) to reject unhandled. The socket and stream are stubbed:
// this is xmpp.js's own start() sequence, not a server exchange (session tests cover those).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client } from '@xmpp/client';
import { startWithoutOrphans } from './reconnect.ts';

/** An xmpp.js client whose stream header never comes in time, and the rejections nobody handled. */
async function slowOpen(patch: boolean): Promise<unknown[]> {
  const xmpp = client({ service: 'xmpps://localhost:1', domain: 'localhost' });
  xmpp.reconnect.stop();
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  const listeners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', record);
  try {
    const stub = xmpp as unknown as {
      connect(): Promise<void>;
      open(): Promise<void>;
      status: string;
    };
    stub.status = 'offline';
    stub.connect = () => Promise.resolve();
    stub.open = () =>
      Promise.reject(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
    if (patch) startWithoutOrphans(xmpp);
    xmpp.on('error', () => undefined);
    await assert.rejects(xmpp.start(), { name: 'TimeoutError' });
    // The login the connection was still running is refused.
    (xmpp as unknown as { emit(event: string, value: unknown): void }).emit(
      'error',
      Object.assign(new Error('not-authorized'), { name: 'SASLError' }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.removeListener('unhandledRejection', record);
    for (const listener of listeners) process.on('unhandledRejection', listener);
  }
  return unhandled;
}

test("xmpp.js's own start() leaves the 'online' promise behind when the stream fails to open", async () => {
  const unhandled = await slowOpen(false);
  assert.deepEqual(
    unhandled.map((reason) => (reason as Error).name),
    ['SASLError'],
  );
});

test('startWithoutOrphans: the same failure leaves no unhandled rejection', async () => {
  assert.deepEqual(await slowOpen(true), []);
});
