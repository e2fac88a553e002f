import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startTcpProxy } from './proxy.ts';

async function echoServer() {
  const server = createServer((socket) => socket.pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { port: address.port, close: () => new Promise((resolve) => server.close(resolve)) };
}

function nextData(socket: Socket, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => (socket.off('data', onData), resolve(undefined)), timeoutMs);
    const onData = (chunk: Buffer) => (clearTimeout(timer), resolve(chunk.toString()));
    socket.once('data', onData);
  });
}

test('the proxy forwards, stalls, resumes, cuts and refuses on command', async () => {
  const echo = await echoServer();
  const proxy = await startTcpProxy(echo.port);
  try {
    const client = connect(proxy.port, '127.0.0.1');
    await once(client, 'connect');
    client.write('one');
    assert.equal(await nextData(client, 2000), 'one');

    proxy.stall();
    client.write('two');
    assert.equal(await nextData(client, 300), undefined, 'nothing flows while stalled');
    proxy.resume();
    assert.equal(await nextData(client, 2000), 'two', 'held bytes flow after resume');

    const closed = once(client, 'close');
    proxy.cut();
    await closed;

    proxy.refuse(true);
    const refused = connect(proxy.port, '127.0.0.1');
    refused.on('error', () => undefined);
    await once(refused, 'close');
    assert.equal(proxy.accepted, 2);
  } finally {
    await proxy.close();
    await echo.close();
  }
});
