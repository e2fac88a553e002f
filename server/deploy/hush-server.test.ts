// The operator command (server/deploy/hush-server) against a real Prosody rendered from the
// production template: invites, the account list, deleting an account, and the stats it reports,
// with a real client session and a real XEP-0363 upload behind the numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isHushError, registerAccount } from '@hush/core';
import {
  startProsody,
  repoRoot,
  trustCertificateAuthority,
  type ProsodyServer,
} from '@hush/test-utils';

const run = promisify(execFile);
const hushServer = join(repoRoot, 'server/deploy/hush-server');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function hush(server: ProsodyServer, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(hushServer, ['--config', server.configFile, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function hushOk(server: ProsodyServer, ...args: string[]): Promise<string> {
  const result = await hush(server, ...args);
  assert.equal(result.code, 0, `hush-server ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Reads from the socket until `pattern` shows up in what arrived since the call. */
function readUntil(socket: TLSSocket, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(text);
      }
    };
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`timed out waiting for ${pattern}; got: ${text}`));
    }, timeoutMs);
    socket.on('data', onData);
  });
}

/**
 * A minimal client over direct TLS: SASL PLAIN, resource binding, one XEP-0363 upload of `size`
 * bytes. Returns the still-open socket, so the session counts as online.
 */
async function loginAndUpload(
  server: ProsodyServer,
  username: string,
  password: string,
  size: number,
): Promise<TLSSocket> {
  const socket = connect({
    host: '127.0.0.1',
    port: server.ports.c2sTls,
    servername: server.domain,
    ca: server.caCert,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const open = `<?xml version='1.0'?><stream:stream to='${server.domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
  let reply = readUntil(socket, /<\/stream:features>/);
  socket.write(open);
  await reply;
  const credentials = Buffer.from(`\0${username}\0${password}`).toString('base64');
  reply = readUntil(socket, /<success|<failure/);
  socket.write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${credentials}</auth>`,
  );
  assert.match(await reply, /<success/);
  reply = readUntil(socket, /<\/stream:features>/);
  socket.write(open);
  await reply;
  reply = readUntil(socket, /<\/iq>|<iq[^>]*\/>/);
  socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
  assert.match(await reply, /type=['"]result['"]/);

  reply = readUntil(socket, /<\/iq>/);
  socket.write(
    `<iq type='get' id='slot' to='upload.${server.domain}'><request xmlns='urn:xmpp:http:upload:0' filename='voice.m4a' size='${size}' content-type='audio/mp4'/></iq>`,
  );
  const slot = await reply;
  const putUrl = /<put url=['"]([^'"]+)['"]/.exec(slot)?.[1]?.replaceAll('&amp;', '&');
  const authorization = /<header name=['"]Authorization['"]>([^<]+)</.exec(slot)?.[1];
  assert.ok(putUrl && authorization, `no upload slot: ${slot}`);
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const url = new URL(putUrl);
    const put = request(
      {
        method: 'PUT',
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname + url.search,
        servername: server.domain,
        ca: server.caCert,
        // Prosody picks the HTTP host by the Host header; the socket goes to loopback.
        headers: {
          Host: url.host,
          Authorization: authorization,
          'Content-Type': 'audio/mp4',
          'Content-Length': size,
        },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode);
      },
    );
    put.once('error', reject);
    put.end(Buffer.alloc(size, 7));
  });
  assert.equal(status, 201);
  return socket;
}

test('hush-server: invite, users, delete-user and stats on a real Prosody', async () => {
  const server = await startProsody();
  try {
    const invite = await hushOk(server, 'invite');
    assert.match(invite.split('\n')[0] ?? '', /^xmpp:localhost\?register;preauth=[\w-]+$/);
    assert.match(invite, /Single use, valid for 7 days/);
    assert.equal(invite.split('\n')[1], '', 'no https link where no web app is served');

    assert.equal(await hushOk(server, 'users'), '');
    await server.createAccount('alice', 'alice-password');
    await server.createAccount('bob', 'bob-password');
    assert.deepEqual((await hushOk(server, 'users')).trim().split('\n'), [
      'alice@localhost',
      'bob@localhost',
    ]);

    assert.match(await hushOk(server, 'delete-user', 'bob'), /Deleted bob@localhost/);
    assert.deepEqual((await hushOk(server, 'users')).trim().split('\n'), ['alice@localhost']);
    const again = await hush(server, 'delete-user', 'bob@localhost');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /does not exist/);
    // The name is not given out again: whoever gets an invite cannot become bob, to whom bob's
    // contacts would still write.
    trustCertificateAuthority(server.caCert);
    const newcomer = (await hushOk(server, 'invite')).split('\n')[0] ?? '';
    await assert.rejects(
      registerAccount({
        service: server.websocketUrl,
        invite: newcomer,
        username: 'bob',
        password: 'not-bob-password',
      }),
      (error) => isHushError(error) && error.code !== 'InviteInvalid',
    );

    const socket = await loginAndUpload(server, 'alice', 'alice-password', 1536);
    let stats = await hushOk(server, 'stats');
    assert.match(stats, /^users: +1$/m);
    assert.match(stats, /^online sessions: +1$/m);
    assert.match(stats, /^upload storage: +1536 bytes \(0\.0 MB\) in 1 files$/m);
    // The same figures on Prosody's OpenMetrics endpoint, for this machine only.
    trustCertificateAuthority(server.caCert);
    const metrics = await (await fetch(new URL('metrics', server.httpsUrl))).text();
    assert.match(metrics, /^prosody_mod_hush_metrics__accounts\{host="localhost"\} 1$/m);
    assert.match(metrics, /^prosody_mod_hush_metrics__online_sessions\{host="localhost"\} 1$/m);
    assert.match(
      metrics,
      /^prosody_mod_http_file_share__total_storage_bytes\{host="upload\.localhost"\} 1536$/m,
    );
    const remote = await fetch(new URL('metrics', server.httpsUrl), {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(remote.status, 403, 'a request from elsewhere (through a proxy) is refused');

    socket.end('</stream:stream>');
    for (let i = 0; i < 50 && /^online sessions: +1$/m.test(stats); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = await hushOk(server, 'stats');
    }
    assert.match(stats, /^users: +1$/m);
    assert.match(stats, /^online sessions: +0$/m);
    assert.match(stats, /^upload storage: +1536 bytes/m);
  } finally {
    await server.stop();
  }
});

test('hush-server invite: where the web app is served, an https link that opens it', async () => {
  const web = await mkdtemp(join(tmpdir(), 'hush-web-'));
  const page = `<!doctype html><title>Hush ${randomUUID()}</title>`;
  await writeFile(join(web, 'index.html'), page);
  await chmod(web, 0o755);
  const server = await startProsody({ settings: { WEB_DIR: web } });
  try {
    const [uri, link] = (await hushOk(server, 'invite')).split('\n');
    const token = /preauth=([\w-]+)$/.exec(uri ?? '')?.[1];
    assert.ok(token, uri);
    assert.equal(link, `${server.httpsUrl}invite?${token}`);
    trustCertificateAuthority(server.caCert);
    const response = await fetch(link);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), page);
  } finally {
    await server.stop();
    await rm(web, { recursive: true, force: true });
  }
});

test('hush-server: help, and clear errors for what it cannot do', async () => {
  const server = await startProsody({ keep: true });
  try {
    assert.match(await hushOk(server, 'help'), /delete-user USER/);
    const unknown = await hush(server, 'frobnicate');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const foreign = await hush(server, 'delete-user', 'eve@example.org');
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr, /not on localhost/);
    await server.stop();
    const stopped = await hush(server, 'users');
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /Prosody does not answer \(is it running\?/);
  } finally {
    await server.stop();
    await rm(server.dir, { recursive: true, force: true });
  }
});
