// The production Prosody template, exercised on a real Prosody: TLS, invite-only sign-up, uploads,
// the modules the clients rely on, and logs that never carry message content.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, readdir, readFile, mkdir, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { openSession, registerAccount, registerOnStream, isHushError } from '@hush/core';
import {
  startProsody,
  renderConfig,
  makeCertificates,
  trustCertificateAuthority,
  webContentSecurityPolicy,
  until,
  type ProsodyServer,
} from '@hush/test-utils';
import {
  base64,
  connectTls,
  fastResponse,
  login,
  openStream,
  plainAuth,
  productionLimits,
  roundTrip,
} from './raw-client.ts';

const run = promisify(execFile);
let server: ProsodyServer;

before(async () => {
  server = await startProsody();
  trustCertificateAuthority(server.caCert);
});
after(() => server?.stop());

/** Reads from a raw socket until `pattern` shows up (or the socket closes), returning all text. */
function readUntil(socket: Socket, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(text);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) done();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', onData);
    socket.once('close', done);
  });
}

test('every rendered variant passes prosodyctl check config', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hush-render-'));
  try {
    await makeCertificates(join(dir, 'certs'), 'chat.example.org');
    await mkdir(join(dir, 'data'));
    // Run as root, prosodyctl switches to the prosody user, as the packaged service runs: that user
    // owns the files of a real install.
    if (process.getuid?.() === 0) {
      await chmod(dir, 0o755);
      await run('chown', ['-R', 'prosody:prosody', dir]);
    }
    const common = {
      DOMAIN: 'chat.example.org',
      CERT: join(dir, 'certs/chat.example.org.crt'),
      KEY: join(dir, 'certs/chat.example.org.key'),
      DATA_DIR: join(dir, 'data'),
      LOG_FILE: join(dir, 'prosody.log'),
      PID_FILE: join(dir, 'prosody.pid'),
    };
    const variants: Record<string, Record<string, string>> = {
      'native defaults': {},
      'serving the web app': { WEB_DIR: join(dir, 'web') },
      'native on 443, long retention': {
        HTTPS_PORT: '443',
        ARCHIVE_EXPIRY: '1y',
        UPLOAD_EXPIRY: '2592000',
      },
      'behind a TLS proxy': {
        BEHIND_PROXY: 'true',
        HTTPS_PORT: '',
        HTTP_PORT: '5280',
        TRUSTED_PROXIES: '172.30.0.2',
        PUBLIC_URL: 'https://chat.example.org/',
        LOG_FILE: 'console',
      },
      'archive kept forever': { ARCHIVE_EXPIRY: 'never' },
      'without community modules': { COMMUNITY_MODULES: 'false' },
      'with SASL2, Bind 2 and FAST': { COMMUNITY_MODULES: 'true' },
    };
    for (const [name, settings] of Object.entries(variants)) {
      const file = join(dir, 'prosody.cfg.lua');
      await renderConfig({ ...common, ...settings }, file);
      const { stdout } = await run('prosodyctl', ['--config', file, 'check', 'config']);
      assert.match(stdout, /All checks passed/, name);
    }
    // The running test server's own config, too.
    const { stdout } = await run('prosodyctl', ['--config', server.configFile, 'check', 'config']);
    assert.match(stdout, /All checks passed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the renderer refuses values that could break or inject into the config', async () => {
  for (const bad of [
    'DOMAIN=evil"; os.exit()',
    'C2S_PORT=5222; x',
    'DATA_DIR=relative/path',
    'UPLOAD_LIMIT=10MB',
  ]) {
    await assert.rejects(
      run(join(import.meta.dirname, 'render.sh'), ['DOMAIN=example.org', bad]),
      (error: { stderr?: string }) => /render\.sh: /.test(error.stderr ?? ''),
      bad,
    );
  }
});

test('a client may not authenticate before TLS', async () => {
  const socket = connect(server.ports.c2s, '127.0.0.1');
  try {
    socket.write(
      "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    const features = await readUntil(socket, /<\/stream:features>/);
    assert.match(
      features,
      /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]><required\/><\/starttls>/,
    );
    assert.doesNotMatch(features, /<mechanisms/, 'no SASL mechanism is offered in the clear');
    socket.write(
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0alice\0secret').toString('base64')}</auth>`,
    );
    const answer = await readUntil(socket, /<\/stream:stream>|<failure/);
    assert.doesNotMatch(answer, /<success/);
    assert.match(answer, /encryption-required|policy-violation|not-authorized|<failure/);
  } finally {
    socket.destroy();
  }
});

test('sign-up needs an invite, which works once; reused and expired invites are refused', async () => {
  const service = server.websocketUrl;
  // No invite: straight XEP-0077 registration is refused.
  await assert.rejects(
    openSession({
      service,
      jid: 'mallory@localhost',
      password: 'mallory-pw',
      beforeAuthenticate: (iq) =>
        registerOnStream(iq, { username: 'mallory', password: 'mallory-pw' }),
    }),
    (error) => isHushError(error, 'RegistrationClosed'),
  );

  const invite = await server.createInvite();
  const alice = await registerAccount({
    service,
    invite,
    username: 'alice',
    password: 'correct horse 1',
  });
  assert.match(alice.jid, /^alice@localhost\//);
  await alice.close();

  await assert.rejects(
    registerAccount({ service, invite, username: 'alice2', password: 'correct horse 2' }),
    (error) => isHushError(error, 'InviteInvalid'),
  );

  // The account made with the invite logs in; a wrong password gets its own error.
  const again = await openSession({ service, jid: 'alice@localhost', password: 'correct horse 1' });
  await again.close();
  await assert.rejects(
    openSession({ service, jid: 'alice@localhost', password: 'wrong' }),
    (error) => isHushError(error, 'WrongPassword'),
  );

  const shortLived = await startProsody({ settings: { INVITE_EXPIRY: '1' } });
  try {
    trustCertificateAuthority(shortLived.caCert);
    const expiring = await shortLived.createInvite();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await assert.rejects(
      registerAccount({
        service: shortLived.websocketUrl,
        invite: expiring,
        username: 'late',
        password: 'pw-late-1',
      }),
      (error) => isHushError(error, 'InviteInvalid'),
    );
  } finally {
    await shortLived.stop();
  }
});

test('wss, direct TLS and STARTTLS all log in', async () => {
  await server.createAccount('transport', 'transport-pw');
  for (const service of [
    server.websocketUrl,
    `xmpps://localhost:${server.ports.c2sTls}`,
    `xmpp://localhost:${server.ports.c2s}`,
  ]) {
    const session = await openSession({
      service,
      jid: 'transport@localhost',
      password: 'transport-pw',
    });
    assert.ok(session.client.isSecure(), service);
    await session.close();
  }
});

test('the server offers what the clients rely on: MAM, carbons, blocking, PEP, SM, CSI, upload', async () => {
  await server.createAccount('features', 'features-pw');
  const session = await openSession({
    service: server.websocketUrl,
    jid: 'features@localhost',
    password: 'features-pw',
  });
  try {
    const info = (to: string) =>
      session
        .request(
          xml(
            'iq',
            { type: 'get', to },
            xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
          ),
        )
        .then((iq) =>
          (iq.getChild('query')?.getChildren('feature') ?? []).map(
            (feature: Element) => feature.attrs.var,
          ),
        );
    const serverFeatures = await info('localhost');
    for (const ns of [
      'urn:xmpp:carbons:2',
      'urn:xmpp:blocking',
      'urn:xmpp:ping',
      'jabber:iq:register',
    ]) {
      assert.ok(serverFeatures.includes(ns), `server: ${ns}`);
    }
    const accountFeatures = await info('features@localhost');
    for (const ns of ['urn:xmpp:mam:2', 'http://jabber.org/protocol/pubsub#publish-options']) {
      assert.ok(accountFeatures.includes(ns), `account: ${ns}`);
    }
    assert.ok((await info(`upload.localhost`)).includes('urn:xmpp:http:upload:0'));
    const items = await session.request(
      xml(
        'iq',
        { type: 'get', to: 'localhost' },
        xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }),
      ),
    );
    assert.ok(
      items
        .getChild('query')
        ?.getChildren('item')
        .some((item: Element) => item.attrs.jid === 'upload.localhost'),
      'the upload service is discoverable',
    );
    assert.equal(
      session.client.streamManagement.enabled ||
        (await waitFor(() => session.client.streamManagement.enabled)),
      true,
    );
  } finally {
    await session.close();
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

test('an upload slot over 10 MB is refused with file-too-large; one within the limit works', async () => {
  await server.createAccount('uploader', 'uploader-pw');
  const session = await openSession({
    service: server.websocketUrl,
    jid: 'uploader@localhost',
    password: 'uploader-pw',
  });
  const slot = (size: number) =>
    session.request(
      xml(
        'iq',
        { type: 'get', to: 'upload.localhost' },
        xml('request', {
          xmlns: 'urn:xmpp:http:upload:0',
          filename: 'voice.m4a',
          size: String(size),
          'content-type': 'audio/mp4',
        }),
      ),
    );
  try {
    const error = await slot(10 * 1024 * 1024 + 1).then(
      () => undefined,
      (e: { condition?: string; element?: { toString(): string } }) => e,
    );
    assert.equal(error?.condition, 'not-acceptable');
    const text = String(error?.element);
    assert.match(text, /<file-too-large xmlns=['"]urn:xmpp:http:upload:0['"]>/);
    assert.match(text, /<max-file-size>10485760<\/max-file-size>/);

    const body = Buffer.from(`ciphertext ${randomUUID()}`);
    const granted = await slot(body.length);
    const put = granted.getChild('slot')?.getChild('put');
    const get = granted.getChild('slot')?.getChild('get')?.attrs.url;
    assert.ok(put?.attrs.url && get);
    const headers: Record<string, string> = { 'content-type': 'audio/mp4' };
    for (const header of put.getChildren('header'))
      headers[header.attrs.name ?? ''] = header.text();
    const uploaded = await fetch(put.attrs.url, { method: 'PUT', body, headers });
    assert.equal(uploaded.status, 201);
    const downloaded = await fetch(get);
    assert.equal(Buffer.from(await downloaded.arrayBuffer()).toString(), body.toString());
  } finally {
    await session.close();
  }
});

test('message content never reaches the log files', async () => {
  await server.createAccount('carol', 'carol-pw');
  await server.createAccount('dave', 'dave-pw');
  const carol = await openSession({
    service: server.websocketUrl,
    jid: 'carol@localhost',
    password: 'carol-pw',
  });
  const dave = await openSession({
    service: `xmpps://localhost:${server.ports.c2sTls}`,
    jid: 'dave@localhost',
    password: 'dave-pw',
  });
  const marker = `marker-${randomUUID()}`;
  try {
    // Dave becomes available (and sees his own presence come back) before Carol writes.
    const available = new Promise<void>((resolve) =>
      dave.onStanza((stanza) => {
        if (stanza.is('presence') && stanza.attrs.from?.startsWith('dave@localhost/')) resolve();
      }),
    );
    await dave.send(xml('presence'));
    await available;
    const received = new Promise<string>((resolve) =>
      dave.onStanza((stanza) => {
        const body = stanza.is('message') ? stanza.getChildText('body') : null;
        if (body) resolve(body);
      }),
    );
    await carol.send(
      xml('message', { to: 'dave@localhost', type: 'chat' }, xml('body', {}, marker)),
    );
    assert.equal(await received, marker, 'the message arrived');
    await dave.send(
      xml('message', { to: 'carol@localhost', type: 'chat' }, xml('body', {}, `${marker} reply`)),
    );
  } finally {
    await Promise.all([carol.close(), dave.close()]);
  }
  const logs = await readdir(server.logDir);
  assert.ok(logs.length > 0);
  let logText = '';
  for (const file of logs) logText += await readFile(join(server.logDir, file), 'utf8');
  assert.match(logText, /carol@localhost/, 'the log does record connections');
  assert.ok(!logText.includes(marker), 'the marker is in no log file');
});

test('with WEB_DIR set, Prosody serves the web app at the domain root beside the websocket', async () => {
  const web = await mkdtemp(join(tmpdir(), 'hush-web-'));
  const marker = `<!doctype html><title>Hush ${randomUUID()}</title>`;
  await writeFile(join(web, 'index.html'), marker);
  const bundle = `console.log(${JSON.stringify(randomUUID())});`;
  await mkdir(join(web, '_expo/static/js/web'), { recursive: true });
  await writeFile(join(web, '_expo/static/js/web/entry-1.js'), bundle);
  await chmod(web, 0o755);
  const server = await startProsody({ settings: { WEB_DIR: web } });
  try {
    trustCertificateAuthority(server.caCert);
    const page = await fetch(server.httpsUrl);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), marker);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('content-security-policy'), webContentSecurityPolicy());
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    // An invite link opens the app, which reads the token from its address.
    for (const path of ['invite?abcdEFGH1234', 'invite/?abcdEFGH1234', 'index.html']) {
      const invite = await fetch(new URL(path, server.httpsUrl));
      assert.equal(invite.status, 200, path);
      assert.equal(await invite.text(), marker, path);
      assert.equal(invite.headers.get('cache-control'), 'no-cache', path);
    }
    const script = await fetch(new URL('_expo/static/js/web/entry-1.js', server.httpsUrl));
    assert.equal(script.status, 200);
    assert.equal(await script.text(), bundle);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    // Other paths are not the app: a missing file is 404, and nothing outside the folder is served.
    assert.equal((await fetch(new URL('missing.js', server.httpsUrl))).status, 404);
    assert.equal((await fetch(new URL('invites', server.httpsUrl))).status, 404);
    for (const escape of ['/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd']) {
      const response = await fetch(`${server.httpsUrl.replace(/\/$/, '')}${escape}`);
      assert.ok([400, 403, 404].includes(response.status), `${escape}: ${response.status}`);
      assert.doesNotMatch(await response.text(), /root:/);
    }
    // The websocket and the uploads keep their paths.
    assert.equal((await fetch(new URL('file_share/nothing', server.httpsUrl))).status, 404);
    const session = await openSession({
      service: server.websocketUrl,
      jid: await server
        .createAccount('webuser', 'webuser-password')
        .then(() => 'webuser@localhost'),
      password: 'webuser-password',
    });
    await session.close();
  } finally {
    await server.stop();
    await rm(web, { recursive: true, force: true });
  }
});

test('a contact-only invite (no sign-up) makes the two accounts mutual contacts', async () => {
  await server.createAccount('inviter', 'inviter-pw');
  await server.createAccount('invitee', 'invitee-pw');
  // Prosody 0.12.3's invites.get() read `reusable` from the account-invite record, which an invite
  // without sign-up lacks, and so refused every contact-only invite.
  const out = await server.prosodyctl('shell', 'invite', 'create_contact', 'inviter@localhost');
  const uri = /xmpp:\S+/.exec(out)?.[0];
  assert.match(uri ?? '', /^xmpp:inviter@localhost\?roster;preauth=[\w-]+$/, out);
  assert.doesNotMatch(uri ?? '', /ibr=y/, 'the invite does not allow sign-up');
  const token = /preauth=([\w-]+)/.exec(uri ?? '')?.[1] ?? '';
  const invitee = await openSession({
    service: server.websocketUrl,
    jid: 'invitee@localhost',
    password: 'invitee-pw',
  });
  try {
    const seen: Element[] = [];
    invitee.onStanza((stanza) => seen.push(stanza));
    await invitee.send(xml('presence'));
    await invitee.send(
      xml(
        'presence',
        { type: 'subscribe', to: 'inviter@localhost' },
        xml('preauth', { xmlns: 'urn:xmpp:pars:0', token }),
      ),
    );
    const from = (type: string) =>
      seen.some(
        (s) => s.is('presence') && s.attrs.type === type && s.attrs.from === 'inviter@localhost',
      );
    // The token is accepted: the inviter's server approves at once, without asking the inviter, and
    // asks back for the mutual subscription.
    await until(() => from('subscribe'), 'a subscription request back from the inviter');
    await invitee.send(xml('presence', { type: 'subscribed', to: 'inviter@localhost' }));
    const inviter = await openSession({
      service: server.websocketUrl,
      jid: 'inviter@localhost',
      password: 'inviter-pw',
    });
    const subscription = async (session: typeof inviter, jid: string) => {
      const roster = await session.request(
        xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })),
      );
      return roster
        .getChild('query')
        ?.getChildren('item')
        .find((item: Element) => item.attrs.jid === jid)?.attrs.subscription;
    };
    try {
      await until(
        async () => (await subscription(inviter, 'invitee@localhost')) === 'both',
        "the inviter's roster lists the invitee with a mutual subscription",
      );
      // Prosody approves on the inviter's side only; the invitee's own request, sent again, is now
      // answered by the server itself (the inviter is already subscribed to the invitee).
      await invitee.send(xml('presence', { type: 'subscribe', to: 'inviter@localhost' }));
      await until(
        async () => (await subscription(invitee, 'inviter@localhost')) === 'both',
        "the invitee's roster shows a mutual subscription",
      );
    } finally {
      await inviter.close();
    }
  } finally {
    await invitee.close();
  }
});

test('SASL2, Bind 2 and FAST are offered beside plain SASL, and each kind of login works', async () => {
  const sasl2 = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
  try {
    trustCertificateAuthority(sasl2.caCert);
    await sasl2.createAccount('modern', 'modern-password');
    const features = await openStream(await connectTls(sasl2), sasl2.domain, 'modern@localhost');
    // Plain SASL (RFC 6120) for every client, with SCRAM-SHA-256.
    const mechanisms =
      /<mechanisms xmlns=['"]urn:ietf:params:xml:ns:xmpp-sasl['"]>[\s\S]*?<\/mechanisms>/.exec(
        features,
      )?.[0];
    assert.match(mechanisms ?? '', /<mechanism>SCRAM-SHA-256<\/mechanism>/, features);
    // SASL2 (XEP-0388) with Bind 2 (XEP-0386), FAST (XEP-0484) and stream management inline.
    const authentication =
      /<authentication xmlns=['"]urn:xmpp:sasl:2['"]>[\s\S]*?<\/authentication>/.exec(
        features,
      )?.[0];
    assert.ok(authentication, `no SASL2 in ${features}`);
    assert.match(authentication, /<mechanism>SCRAM-SHA-256<\/mechanism>/);
    assert.match(authentication, /<bind xmlns=['"]urn:xmpp:bind:0['"]/);
    assert.match(
      authentication,
      /<fast xmlns=['"]urn:xmpp:fast:0['"]>(?:(?!<\/fast>)[\s\S])*<mechanism>HT-SHA-256-NONE<\/mechanism>/,
    );
    assert.match(authentication, /<sm xmlns=['"]urn:xmpp:sm:3['"]/);

    // A SASL2 login that binds a resource inline and asks for a FAST token.
    const agent = randomUUID();
    const first = await connectTls(sasl2);
    await openStream(first, sasl2.domain);
    first.write(
      `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>${base64('\0modern\0modern-password')}</initial-response>` +
        `<user-agent id='${agent}'><software>server test</software></user-agent>` +
        `<bind xmlns='urn:xmpp:bind:0'><tag>test</tag></bind>` +
        `<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/></authenticate>`,
    );
    const success = await first.read(/<\/success>|<\/failure>/);
    assert.match(success, /<success xmlns=['"]urn:xmpp:sasl:2['"]>/);
    assert.match(
      success,
      /<authorization-identifier>modern@localhost\/test~[^<]+<\/authorization-identifier>/,
    );
    assert.match(success, /<bound xmlns=['"]urn:xmpp:bind:0['"]/);
    const tokenElement = /<token\b[^>]*\bxmlns=['"]urn:xmpp:fast:0['"][^>]*>/.exec(success)?.[0];
    const token = /\btoken=['"]([^'"]+)['"]/.exec(tokenElement ?? '')?.[1];
    assert.ok(token, `no FAST token in ${success}`);
    first.destroy();

    // The token logs in without the password.
    const second = await connectTls(sasl2);
    await openStream(second, sasl2.domain, 'modern@localhost');
    second.write(
      `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-SHA-256-NONE'><initial-response>${fastResponse('modern', token)}</initial-response>` +
        `<user-agent id='${agent}'><software>server test</software></user-agent>` +
        `<fast xmlns='urn:xmpp:fast:0'/></authenticate>`,
    );
    assert.match(
      await second.read(/<\/success>|<\/failure>/),
      /<success xmlns=['"]urn:xmpp:sasl:2['"]>/,
    );
    second.destroy();

    // A client that knows nothing of SASL2 logs in as before.
    const legacy = await connectTls(sasl2);
    await openStream(legacy, sasl2.domain);
    assert.match(await plainAuth(legacy, 'modern', 'modern-password'), /<success/);
    legacy.destroy();
    // And so does Hush's core, over each transport.
    for (const service of [sasl2.websocketUrl, `xmpps://localhost:${sasl2.ports.c2sTls}`]) {
      const session = await openSession({
        service,
        jid: 'modern@localhost',
        password: 'modern-password',
      });
      await session.close();
    }
  } finally {
    await sasl2.stop();
  }
});

test('a message for an account with no device online lives in the archive only: nothing kept beside it, nothing pushed later', async () => {
  const retention = await startProsody();
  try {
    trustCertificateAuthority(retention.caCert);
    await retention.createAccount('olga', 'olga-password');
    await retention.createAccount('pete', 'pete-password');
    // A copy an earlier server's offline store kept (Prosody's internal archive format).
    const offlineDir = join(retention.dataDir, 'localhost', 'offline');
    await retention.halt();
    await mkdir(offlineDir, { recursive: true });
    await writeFile(
      join(offlineDir, 'pete.list'),
      `item({["key"]="old-1";["when"]=1735689600;["with"]="";["name"]="message";["attr"]={["to"]="pete@localhost";["from"]="olga@localhost/x";["type"]="chat";["stamp"]="2025-01-01T00:00:00Z"};{["name"]="body";["attr"]={};"older than any retention"}});\n`,
    );
    await retention.start();
    await until(
      async () => (await readdir(offlineDir).catch(() => [])).length === 0,
      'the old offline copy is deleted at start',
    );

    const olga = await openSession({
      service: retention.websocketUrl,
      jid: 'olga@localhost',
      password: 'olga-password',
    });
    const marker = `for-pete-${randomUUID()}`;
    const errors: string[] = [];
    olga.onStanza((stanza) => {
      if (stanza.attrs.type === 'error') errors.push(stanza.toString());
    });
    try {
      await olga.send(
        xml('message', { to: 'pete@localhost', type: 'chat', id: 'm1' }, xml('body', {}, marker)),
      );
      // Typing to someone who is offline is not archived, and is not an error either.
      await olga.send(
        xml(
          'message',
          { to: 'pete@localhost', type: 'chat', id: 'm2' },
          xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }),
        ),
      );
      await olga.request(
        xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
      );
      assert.deepEqual(errors, [], 'the sender gets no error');
    } finally {
      await olga.close();
    }
    assert.deepEqual(await readdir(offlineDir).catch(() => []), [], 'no offline copy on disk');

    // A plain client (no MAM) comes online: nothing is pushed to it.
    const pete = await connectTls(retention);
    try {
      await login(pete, retention.domain, 'pete', 'pete-password');
      pete.write(`<presence/>`);
      const afterPresence = await roundTrip(pete);
      assert.doesNotMatch(afterPresence, /<message/, 'no stored message is pushed at login');
      // The message is in the archive, for as long as the archive keeps it.
      pete.write(`<iq type='set' id='mam'><query xmlns='urn:xmpp:mam:2' queryid='q'/></iq>`);
      const archive = await pete.read(/<iq[^>]*id=['"]mam['"][\s\S]*?<\/iq>/);
      assert.ok(archive.includes(marker), 'the archive has the message');
      assert.doesNotMatch(archive, /older than any retention/);
    } finally {
      pete.destroy();
    }
  } finally {
    await retention.stop();
  }
});

test('HTTP: GET and HEAD only on the app, security headers and HSTS on every page, no server software named', async () => {
  const web = await mkdtemp(join(tmpdir(), 'hush-web-'));
  await writeFile(join(web, 'index.html'), '<!doctype html><title>Hush</title>');
  await chmod(web, 0o755);
  const site = await startProsody({ settings: { WEB_DIR: web, HSTS_MAX_AGE: '600' } });
  try {
    trustCertificateAuthority(site.caCert);
    const at = (path: string, init: RequestInit = {}) => fetch(new URL(path, site.httpsUrl), init);
    const noSoftware = async (response: Response, what: string) => {
      assert.equal(response.headers.get('server'), null, `${what}: no Server header`);
      assert.equal(response.headers.get('x-powered-by'), null, what);
      assert.doesNotMatch(await response.text(), /prosody/i, `${what}: the page names no software`);
    };
    for (const path of ['/', '/invite']) {
      assert.equal((await at(path, { method: 'HEAD' })).status, 200, `HEAD ${path}`);
      for (const method of ['PUT', 'POST', 'DELETE', 'PATCH']) {
        const refused = await at(path, { method });
        assert.equal(refused.status, 405, `${method} ${path}`);
        assert.equal(refused.headers.get('allow'), 'GET, HEAD');
        await noSoftware(refused, `${method} ${path}`);
      }
      // fetch() will not send TRACE.
      const trace = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        const url = new URL(path, site.httpsUrl);
        const request = httpsRequest(
          {
            method: 'TRACE',
            host: '127.0.0.1',
            port: url.port,
            path,
            servername: 'localhost',
            ca: site.caCert,
            headers: { host: url.host },
          },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        request.once('error', reject);
        request.end();
      });
      assert.equal(trace.status, 405, `TRACE ${path}`);
      assert.doesNotMatch(trace.body, /prosody/i);
    }
    const pages = {
      'the app': await at('/'),
      'a missing file': await at('/missing.js'),
      'the websocket without an upgrade': await at('/xmpp-websocket'),
      'an unknown upload': await at('/file_share/nothing'),
    };
    for (const [what, response] of Object.entries(pages)) {
      assert.equal(response.headers.get('strict-transport-security'), 'max-age=600', what);
      assert.match(
        response.headers.get('content-security-policy') ?? '',
        /frame-ancestors 'none'/,
        what,
      );
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
      if (what !== 'the app') await noSoftware(response, what);
    }
    assert.equal(pages['a missing file'].status, 404);
  } finally {
    await site.stop();
    await rm(web, { recursive: true, force: true });
  }
  // Without the web app, the root is not found either, and says nothing more; no HSTS on localhost.
  const bare = await fetch(server.httpsUrl);
  assert.equal(bare.status, 404);
  assert.equal(bare.headers.get('strict-transport-security'), null);
  assert.doesNotMatch(await bare.text(), /prosody/i);
  assert.equal((await fetch(server.httpsUrl, { method: 'PUT' })).status, 405);
});

test("the production limits the hardening tests use are render.sh's defaults", async () => {
  const { stdout } = await run(join(import.meta.dirname, 'render.sh'), ['DOMAIN=example.org']);
  const option = (name: string) => new RegExp(`^${name} = ([0-9.]+)$`, 'm').exec(stdout)?.[1];
  assert.equal(option('hush_auth_failure_delay'), productionLimits.AUTH_FAILURE_DELAY);
  assert.equal(option('hush_auth_address_failures'), productionLimits.AUTH_ADDRESS_FAILURES);
  assert.equal(option('hush_auth_account_failures'), productionLimits.AUTH_ACCOUNT_FAILURES);
  assert.equal(option('hush_connections_per_address'), productionLimits.CONNECTIONS_PER_ADDRESS);
  assert.equal(
    option('hush_unauthenticated_connections'),
    productionLimits.UNAUTHENTICATED_CONNECTIONS,
  );
});
