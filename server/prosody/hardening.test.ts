// The server against an attacker, on real Prosody servers rendered from the production template:
// password guessing (per address, per account, per stream), account enumeration, connection
// floods and streams that never log in. Two loopback addresses (127.0.0.1 and ::1) stand for the
// attacker and the person. Delays are made short here; their cost is measured in bench/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as tlsConnect, type SecureVersion, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  startProsody,
  repoRoot,
  trustCertificateAuthority,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import {
  base64,
  connectPlain,
  connectTls,
  login,
  openStream,
  plainAuth,
  productionLimits,
  type RawStream,
} from './raw-client.ts';

const run = promisify(execFile);

/** A test server with production limits (short delays), on both loopback addresses. */
function hardened(settings: Record<string, string>): Promise<ProsodyServer> {
  return startProsody({
    settings: {
      ...productionLimits,
      INTERFACES: '127.0.0.1,::1',
      AUTH_FAILURE_DELAY: '0.01',
      ...settings,
    },
  });
}

const failure = /<failure[\s\S]*?<\/failure>/;

test('wrong passwords: a stream is closed after three, an address is blocked after five, the person elsewhere still logs in', async () => {
  const server = await hardened({ AUTH_ADDRESS_FAILURES: '5', AUTH_ACCOUNT_FAILURES: '50' });
  try {
    await server.createAccount('victim', 'the-real-password');
    // Three failures on one stream, then the server closes it.
    const first = await connectTls(server);
    await openStream(first, server.domain);
    for (let i = 0; i < 3; i++) {
      assert.match(await plainAuth(first, 'victim', `guess-${i}`), /<not-authorized\/>/);
    }
    await until(() => first.isClosed(), 'the server closes the stream after three failures');
    assert.match(first.pending, /<policy-violation/);

    // Two more from the same address: the fifth failure blocks the address.
    const second = await connectTls(server);
    await openStream(second, server.domain);
    assert.match(await plainAuth(second, 'victim', 'guess-3'), /<not-authorized\/>/);
    assert.match(await plainAuth(second, 'nobody', 'guess-4'), /<not-authorized\/>/);
    second.destroy();
    // Blocked: even the right password fails from there, and the stream is closed at once.
    const third = await connectTls(server);
    await openStream(third, server.domain);
    const refused = await plainAuth(third, 'victim', 'the-real-password');
    assert.match(refused, /<not-authorized\/>[\s\S]*Too many failed logins/);
    await until(() => third.isClosed(), 'the server closes a blocked stream');

    // The person, from another address, is not affected.
    const person = await connectTls(server, { host: '::1' });
    assert.match(await login(person, server.domain, 'victim', 'the-real-password'), /^victim@/);
    person.destroy();

    // Every failure is in the log with the address, in the form the fail2ban filter reads.
    const log = await server.readLogs();
    const lines = log.split('\n').filter((line) => line.includes('Failed authentication attempt'));
    assert.equal(lines.length, 6, lines.join('\n'));
    assert.match(
      lines[4] ?? '',
      /\(not-authorized\) for user nobody@localhost from IP: 127\.0\.0\.1$/,
    );
    assert.match(
      lines[5] ?? '',
      /\(address-blocked\) for user victim@localhost from IP: 127\.0\.0\.1$/,
    );
    const filter = join(repoRoot, 'server/deploy/fail2ban/filter.d/hush-prosody.conf');
    const { stdout } = await run('fail2ban-regex', [join(server.logDir, 'prosody.log'), filter]);
    assert.match(stdout, /^Lines: \d+ lines, 0 ignored, 6 matched/m, stdout);
    const banned = await run('fail2ban-regex', [
      '-o',
      'ip',
      join(server.logDir, 'prosody.log'),
      filter,
    ]);
    assert.deepEqual(banned.stdout.trim().split('\n'), Array(6).fill('127.0.0.1'));
  } finally {
    await server.stop();
  }
});

test('an account under attack is refused to new addresses, while a device that logged in before goes on', async () => {
  const server = await hardened({ AUTH_ADDRESS_FAILURES: '100', AUTH_ACCOUNT_FAILURES: '3' });
  try {
    await server.createAccount('target', 'target-password');
    const device = await connectTls(server, { host: '::1' });
    await login(device, server.domain, 'target', 'target-password');
    device.destroy();

    const attacker = await connectTls(server);
    await openStream(attacker, server.domain);
    for (let i = 0; i < 3; i++) await plainAuth(attacker, 'target', `guess-${i}`);
    await until(() => attacker.isClosed(), 'the server closes the stream after three failures');
    const again = await connectTls(server);
    await openStream(again, server.domain);
    assert.match(
      await plainAuth(again, 'target', 'target-password'),
      /<not-authorized\/>[\s\S]*Too many failed logins/,
      'the right password from a new address is refused during the block',
    );
    again.destroy();

    const back = await connectTls(server, { host: '::1' });
    assert.match(await login(back, server.domain, 'target', 'target-password'), /^target@/);
    back.destroy();
    assert.match(await server.readLogs(), /Blocking logins to target for \d+ s after 3 failures/);
  } finally {
    await server.stop();
  }
});

/** Sends a SCRAM-SHA-256 client-first message and returns the server's answer, decoded. */
async function scramFirst(stream: RawStream, user: string): Promise<string> {
  const nonce = randomBytes(18).toString('base64');
  stream.write(
    `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${base64(`n,,n=${user},r=${nonce}`)}</auth>`,
  );
  const answer = await stream.read(/<challenge[\s\S]*?<\/challenge>|<failure[\s\S]*?<\/failure>/);
  const challenge = /<challenge[^>]*>([^<]*)<\/challenge>/.exec(answer)?.[1];
  return challenge === undefined ? answer : Buffer.from(challenge, 'base64').toString();
}

test('an unknown account answers like an existing one: the same SCRAM challenge, a stable salt, the same failure', async () => {
  const server = await hardened({});
  try {
    await server.createAccount('exists', 'exists-password');
    const attempt = async (user: string) => {
      const stream = await connectTls(server);
      await openStream(stream, server.domain);
      const first = await scramFirst(stream, user);
      const fields = Object.fromEntries(
        first.split(',').map((field) => [field.slice(0, 1), field.slice(2)]),
      );
      // A client-final message with a proof that cannot be right.
      stream.write(
        `<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${base64(`c=biws,r=${fields.r ?? ''},p=${randomBytes(32).toString('base64')}`)}</response>`,
      );
      const final = await stream.read(failure);
      stream.destroy();
      return { first, fields, final: final.replace(/^[\s\S]*?(<failure)/, '$1') };
    };
    const real = await attempt('exists');
    const unknown = await attempt('does-not-exist');
    const unknownAgain = await attempt('does-not-exist');
    for (const result of [real, unknown]) {
      assert.match(result.first, /^r=[^,]+,s=[A-Za-z0-9+/=]+,i=\d+$/, result.first);
    }
    assert.equal(unknown.fields.i, real.fields.i, 'the same iteration count');
    assert.equal(
      Buffer.from(unknown.fields.s ?? '', 'base64').length,
      Buffer.from(real.fields.s ?? '', 'base64').length,
      'a salt of the same form',
    );
    assert.equal(unknownAgain.fields.s, unknown.fields.s, 'the same salt each time, as a real one');
    assert.notEqual(unknown.fields.s, real.fields.s);
    assert.equal(unknown.final, real.final, 'the same failure');
    assert.match(real.final, /<not-authorized\/>/);

    // PLAIN: the same failure too.
    const plain = async (user: string) => {
      const stream = await connectTls(server);
      await openStream(stream, server.domain);
      const answer = await plainAuth(stream, user, 'wrong-password');
      stream.destroy();
      return answer;
    };
    assert.equal(await plain('does-not-exist'), await plain('exists'));
  } finally {
    await server.stop();
  }
});

/** Opens a plain TCP connection and tells whether the server keeps it open or closes it. */
async function heldOrClosed(stream: RawStream): Promise<'held' | 'closed'> {
  // The server answers a stream header on a connection it keeps; a refused one is closed first.
  stream.write(
    `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
  );
  return Promise.race([
    stream.read(/<\/stream:features>/).then(() => 'held' as const),
    stream.closed.then(() => 'closed' as const),
  ]).catch(() => 'closed' as const);
}

test('connections: a cap per address, and one on connections that have not logged in', async () => {
  const server = await hardened({ CONNECTIONS_PER_ADDRESS: '4', UNAUTHENTICATED_CONNECTIONS: '6' });
  const open: RawStream[] = [];
  try {
    await server.createAccount('busy', 'busy-password');
    for (let i = 0; i < 4; i++) {
      const stream = await connectPlain(server);
      open.push(stream);
      assert.equal(await heldOrClosed(stream), 'held', `connection ${i + 1}`);
    }
    const fifth = await connectPlain(server);
    open.push(fifth);
    assert.equal(await heldOrClosed(fifth), 'closed', 'the fifth from one address is refused');
    assert.match(
      await server.readLogs(),
      /Refused a connection from IP: 127\.0\.0\.1 \(4 connections/,
    );
    // Another address is not affected, until the server-wide cap on streams not logged in (6).
    for (let i = 0; i < 2; i++) {
      const other = await connectPlain(server, '::1');
      open.push(other);
      assert.equal(await heldOrClosed(other), 'held', `::1 connection ${i + 1}`);
    }
    const seventh = await connectPlain(server, '::1');
    open.push(seventh);
    assert.equal(await heldOrClosed(seventh), 'closed', 'six are waiting to log in already');

    // A connection that closes frees its place (once the server has seen it close), and one that
    // logs in no longer counts against the second cap.
    open[0]?.destroy();
    const tls = await until(async () => {
      const stream = await connectTls(server, { host: '::1' }).catch(() => undefined);
      if (!stream) return false;
      open.push(stream);
      return login(stream, server.domain, 'busy', 'busy-password').then(
        () => stream,
        () => false as const,
      );
    }, 'a place freed by the closed connection');
    assert.equal(tls.isClosed(), false);
    const after = await connectPlain(server, '::1');
    open.push(after);
    assert.equal(await heldOrClosed(after), 'held');
  } finally {
    for (const stream of open) stream.destroy();
    await server.stop();
  }
});

test('a stream that never logs in is closed after AUTH_TIMEOUT; a logged-in one stays', async () => {
  const server = await hardened({ AUTH_TIMEOUT: '1' });
  try {
    await server.createAccount('quick', 'quick-password');
    const quick = await connectTls(server);
    await login(quick, server.domain, 'quick', 'quick-password');
    const idle = await connectTls(server);
    await openStream(idle, server.domain);
    await until(() => idle.isClosed(), 'the server closes the idle stream', 10_000);
    assert.match(idle.pending, /<connection-timeout/);
    // By now the logged-in stream is older than the timeout too, and it still answers.
    quick.write(`<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(await quick.read(/<iq[^>]*id=['"]p['"][^>]*>/), /type=['"]result['"]/);
    quick.destroy();
  } finally {
    await server.stop();
  }
});

test('what was found sound stays so: TLS 1.2 and later only, nothing before TLS, stanza size, upload authorisation and quota', async () => {
  const server = await hardened({ UPLOAD_DAILY_QUOTA: '3000' });
  try {
    // TLS 1.0 and 1.1 are refused by the server, 1.2 and 1.3 accepted.
    const handshake = (minVersion: SecureVersion, maxVersion: SecureVersion) =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port: server.ports.c2sTls,
          servername: 'localhost',
          ca: server.caCert,
          minVersion,
          maxVersion,
          ciphers: 'DEFAULT@SECLEVEL=0',
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? 'unknown');
          socket.destroy();
        });
        socket.once('error', (error) => resolve(`refused: ${error.message}`));
      });
    assert.match(
      await handshake('TLSv1', 'TLSv1.1'),
      /^refused: .*(protocol version|unsupported protocol|no protocols)/i,
    );
    assert.equal(await handshake('TLSv1.2', 'TLSv1.2'), 'TLSv1.2');
    assert.equal(await handshake('TLSv1.3', 'TLSv1.3'), 'TLSv1.3');

    // Before STARTTLS: no login and no sign-up are offered, and a sign-up attempt is refused.
    const plain = await connectPlain(server);
    const features = await openStream(plain, server.domain);
    assert.doesNotMatch(features, /<mechanisms|iq-register|urn:xmpp:invite|ibr-token/);
    plain.write(`<iq type='get' id='reg'><query xmlns='jabber:iq:register'/></iq>`);
    await until(() => plain.isClosed() || /type=['"]error['"]/.test(plain.pending), 'a refusal');
    assert.doesNotMatch(plain.pending, /<username/);
    plain.destroy();

    // A stanza over Prosody's 256 KiB limit closes the stream. (Prosody checks between reads of up
    // to NETWORK_READ_SIZE, 64 KiB: a stanza that ends within the read that crosses the limit passes.)
    await server.createAccount('big', 'big-password');
    const big = await connectTls(server);
    await login(big, server.domain, 'big', 'big-password');
    big.write(`<message to='big@localhost'><body>${'x'.repeat(512 * 1024)}</body></message>`);
    await until(() => big.isClosed(), 'the server closes the stream');
    assert.match(big.pending, /<policy-violation[\s\S]*stanza-too-big|<policy-violation/);

    // Uploads: a slot's PUT needs its authorisation; the daily quota holds.
    const uploader = await connectTls(server);
    await login(uploader, server.domain, 'big', 'big-password');
    const slot = async (id: string, size: number) => {
      uploader.write(
        `<iq type='get' id='${id}' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='encrypted' size='${size}' content-type='application/octet-stream'/></iq>`,
      );
      return uploader.read(new RegExp(`<iq[^>]*id=['"]${id}['"][\\s\\S]*?</iq>`));
    };
    const granted = await slot('s1', 2000);
    const put = /<put url=['"]([^'"]+)['"]/.exec(granted)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(put, granted);
    trustCertificateAuthority(server.caCert);
    const body = Buffer.alloc(2000, 1);
    const headers = { 'content-type': 'application/octet-stream' };
    assert.equal(
      (await fetch(put, { method: 'PUT', body, headers })).status,
      401,
      'no authorisation',
    );
    const forged = { ...headers, authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged' };
    assert.equal(
      (await fetch(put, { method: 'PUT', body, headers: forged })).status,
      403,
      'forged',
    );
    const authorization = /<header name=['"]Authorization['"]>([^<]+)</.exec(granted)?.[1] ?? '';
    assert.equal(
      (await fetch(put, { method: 'PUT', body, headers: { ...headers, authorization } })).status,
      201,
    );
    assert.match(await slot('s2', 2000), /type=['"]error['"][\s\S]*(resource-constraint|quota)/i);
    uploader.destroy();
  } finally {
    await server.stop();
  }
});

test('SASL2 logins are guarded alike: logged, and a stream closed after three failures', async () => {
  const server = await hardened({ COMMUNITY_MODULES: 'true' });
  try {
    await server.createAccount('modern', 'modern-password');
    const stream = await connectTls(server);
    await openStream(stream, server.domain);
    for (let i = 0; i < 3; i++) {
      stream.write(
        `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>${base64(`\0modern\0guess-${i}`)}</initial-response></authenticate>`,
      );
      assert.match(
        await stream.read(/<failure xmlns=['"]urn:xmpp:sasl:2['"]>[\s\S]*?<\/failure>/),
        /<not-authorized/,
      );
    }
    await until(() => stream.isClosed(), 'the server closes the stream after three failures');
    const lines = (await server.readLogs())
      .split('\n')
      .filter((line) =>
        /Failed authentication attempt \(not-authorized\) for user modern@localhost from IP: 127\.0\.0\.1$/.test(
          line,
        ),
      );
    assert.equal(lines.length, 3);
  } finally {
    await server.stop();
  }
});

test("behind a TLS proxy, the proxy's own address is not capped on the HTTP port; others are", async () => {
  // ::1 plays the proxy (TRUSTED_PROXIES), 127.0.0.1 a client reaching the HTTP port directly.
  const server = await hardened({
    BEHIND_PROXY: 'true',
    TRUSTED_PROXIES: '::1',
    CONNECTIONS_PER_ADDRESS: '2',
  });
  const open: TLSSocket[] = [];
  const https = (host: string) =>
    new Promise<TLSSocket | undefined>((resolve) => {
      const socket = tlsConnect({
        host,
        port: server.ports.https,
        servername: 'localhost',
        ca: server.caCert,
      });
      open.push(socket);
      socket.once('error', () => resolve(undefined));
      socket.once('close', () => resolve(undefined));
      // A kept connection answers a request; a refused one is closed first.
      socket.once('secureConnect', () =>
        socket.write('GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      );
      socket.once('data', () => resolve(socket));
    });
  try {
    for (let i = 0; i < 4; i++) assert.ok(await https('::1'), `proxy connection ${i + 1}`);
    assert.ok(await https('127.0.0.1'));
    assert.ok(await https('127.0.0.1'));
    assert.equal(await https('127.0.0.1'), undefined, 'a third direct connection is refused');
  } finally {
    for (const socket of open) socket.destroy();
    await server.stop();
  }
});
