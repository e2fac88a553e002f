// The CLI as people script it: the real binary, a real server, exit codes and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliArgs, cliEnv, runCli, serverSuite, startProsody, tone } from '@hush/test-utils';

const suite = serverSuite({
  trust: false,
  // HUSH_HOME: every profile the tests make lives in the scratch folder.
  scratch: 'hush-cli-',
});

const env = (password?: string) => cliEnv(suite.server.caFile, suite.scratch, password);
const hush = (args: string[], password?: string) => runCli(args, env(password));

test('register with an invite, log in, and every refusal with its exit code', async () => {
  const service = ['--service', suite.server.websocketUrl];
  const invite = await suite.server.createInvite();
  const created = await hush(['register', invite, 'erin', ...service], 'erin-password');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Account erin@localhost created/);

  const reused = await hush(['register', invite, 'frank', ...service], 'frank-password');
  assert.equal(reused.code, 4);
  assert.match(reused.stderr, /already been used or has expired\. \(InviteInvalid\)/);

  const ok = await hush(
    ['login', 'erin@localhost', '--service', `xmpps://localhost:${suite.server.ports.c2sTls}`],
    'erin-password',
  );
  assert.equal(ok.code, 0, ok.stderr);
  const wrong = await hush(['login', 'erin@localhost', ...service], 'not-her-password');
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /WrongPassword/);

  const malformed = await hush(['register', 'https://example.org/', 'x', ...service], 'password-1');
  assert.equal(malformed.code, 4);
  assert.match(malformed.stderr, /InviteMalformed/);

  const unreachable = await hush(
    ['login', 'erin@localhost', '--service', 'xmpps://localhost:1'],
    'erin-password',
  );
  assert.equal(unreachable.code, 5);
  assert.match(unreachable.stderr, /ServerUnreachable/);

  assert.equal((await hush(['frobnicate'])).code, 2);
  const shortPassword = await hush(
    ['register', await suite.server.createInvite(), 'kai', ...service],
    'short',
  );
  assert.equal(shortPassword.code, 4);
  assert.match(shortPassword.stderr, /at least 8 characters\. \(InvalidPassword\)/);
  assert.equal((await hush(['history', 'erin@localhost', '--limit', 'lots'])).code, 2);
});

test('a server whose certificate is not trusted is refused with its own error', async () => {
  const other = await startProsody();
  try {
    await other.createAccount('gina', 'gina-password');
    // Only `server`'s CA is trusted by hush() below, not `other`'s.
    const result = await hush(
      ['login', 'gina@localhost', '--service', `xmpps://localhost:${other.ports.c2sTls}`],
      'gina-password',
    );
    assert.equal(result.code, 5);
    assert.match(result.stderr, /CertificateUntrusted/);
  } finally {
    await other.stop();
  }
});

test('send, listen --json and history between two profiles, with the account kept in each profile', async () => {
  const service = ['--service', suite.server.websocketUrl];
  await suite.server.createAccount('gus', 'gus-password');
  await suite.server.createAccount('hana', 'hana-password');
  assert.equal(
    (await hush(['--profile', 'gus', 'login', 'gus@localhost', ...service], 'gus-password')).code,
    0,
  );
  assert.equal(
    (await hush(['--profile', 'hana', 'login', 'hana@localhost', ...service], 'hana-password'))
      .code,
    0,
  );

  // A message sent while hana is not listening comes from the archive when she next connects.
  const early = await hush(['--profile', 'gus', 'send', 'hana@localhost', 'sent before listening']);
  assert.equal(early.code, 0, early.stderr);
  assert.match(early.stdout, /Sent to hana@localhost/);

  const listener = spawn(process.execPath, cliArgs(['--profile', 'hana', 'listen', '--json']), {
    env: env(),
  });
  const lines = createInterface({ input: listener.stdout });
  const events: Record<string, unknown>[] = [];
  let listenerErrors = '';
  listener.stderr.on('data', (chunk: Buffer) => (listenerErrors += chunk.toString()));
  lines.on('line', (line) => events.push(JSON.parse(line) as Record<string, unknown>));
  const seen = (predicate: (event: Record<string, unknown>) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `not seen; got ${JSON.stringify(events)} ${listenerErrors} exit=${String(listener.exitCode)}`,
            ),
          ),
        15_000,
      );
      const check = () => {
        if (events.some(predicate)) {
          clearTimeout(timer);
          resolve();
        }
      };
      lines.on('line', () => setImmediate(check));
      check();
    });
  try {
    await seen((event) => event.type === 'ready');
    await seen((event) => event.body === 'sent before listening');
    const live = await hush(['--profile', 'gus', 'send', 'hana@localhost', 'live hello', '--json']);
    assert.equal(live.code, 0, live.stderr);
    assert.equal((JSON.parse(live.stdout) as { state: string }).state !== 'pending', true);
    await seen(
      (event) =>
        event.body === 'live hello' && event.direction === 'in' && event.peer === 'gus@localhost',
    );
  } finally {
    listener.kill('SIGINT');
  }

  const history = await hush(['--profile', 'gus', 'history', 'hana@localhost']);
  assert.equal(history.code, 0, history.stderr);
  assert.match(
    history.stdout,
    /me -> hana@localhost: sent before listening\n.*me -> hana@localhost: live hello/s,
  );

  const noAccount = await hush(['--profile', 'nobody', 'send', 'hana@localhost', 'x']);
  assert.equal(noAccount.code, 6);
  assert.match(noAccount.stderr, /NoAccount/);
});

test('contacts, password change and account deletion through the CLI', async () => {
  const service = ['--service', suite.server.websocketUrl];
  await suite.server.createAccount('ida', 'ida-password');
  await suite.server.createAccount('jon', 'jon-password');
  assert.equal(
    (await hush(['--profile', 'ida', 'login', 'ida@localhost', ...service], 'ida-password')).code,
    0,
  );
  assert.equal(
    (await hush(['--profile', 'jon', 'login', 'jon@localhost', ...service], 'jon-password')).code,
    0,
  );

  assert.equal(
    (await hush(['--profile', 'ida', 'contacts', 'add', 'jon@localhost', 'Jon'])).code,
    0,
  );
  assert.equal((await hush(['--profile', 'jon', 'contacts', 'add', 'ida@localhost'])).code, 0);
  const listed = await hush(['--profile', 'ida', 'contacts', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const jon = JSON.parse(listed.stdout.trim()) as {
    jid: string;
    name: string;
    subscription: string;
    blocked: boolean;
  };
  assert.deepEqual(
    [jon.jid, jon.name, jon.subscription, jon.blocked],
    ['jon@localhost', 'Jon', 'both', false],
  );

  assert.equal((await hush(['--profile', 'ida', 'contacts', 'block', 'jon@localhost'])).code, 0);
  assert.match(
    (await hush(['--profile', 'ida', 'contacts', 'list'])).stdout,
    /jon@localhost \(Jon\) both \w+ blocked/,
  );
  assert.equal((await hush(['--profile', 'ida', 'contacts', 'unblock', 'jon@localhost'])).code, 0);
  assert.equal((await hush(['--profile', 'ida', 'contacts', 'remove', 'jon@localhost'])).code, 0);
  assert.equal((await hush(['--profile', 'ida', 'contacts', 'list'])).stdout, '');
  assert.equal((await hush(['--profile', 'ida', 'contacts', 'frobnicate', 'x'])).code, 2);

  const changed = await hush(['--profile', 'jon', 'account', 'password'], 'jon-new-password');
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(
    (await hush(['login', 'jon@localhost', ...service], 'jon-password')).code,
    3,
    'the old password no longer works',
  );
  // The profile keeps the new password: it still connects.
  assert.equal((await hush(['--profile', 'jon', 'contacts', 'list'])).code, 0);

  const deleted = await hush(['--profile', 'jon', 'account', 'delete']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(
    (await hush(['login', 'jon@localhost', ...service], 'jon-new-password')).code,
    3,
    'the account is gone',
  );
  assert.equal(
    (await hush(['--profile', 'jon', 'send', 'ida@localhost', 'x'])).code,
    6,
    'and the profile no longer holds it',
  );
});

test('encryption by default: fingerprints, devices, verify, distrust and trust, and a contact without OMEMO refused', async () => {
  const service = ['--service', suite.server.websocketUrl];
  for (const name of ['ivy', 'jon', 'kim']) {
    await suite.server.createAccount(name, `${name}-password`);
    const plain = name === 'kim' ? ['--plain'] : [];
    const login = await hush(
      ['--profile', name, 'login', `${name}@localhost`, ...service, ...plain],
      `${name}-password`,
    );
    assert.equal(login.code, 0, login.stderr);
  }
  const own = await hush(['--profile', 'jon', 'fingerprints', '--json']);
  assert.equal(own.code, 0, own.stderr);
  const jon = JSON.parse(own.stdout) as { deviceId: number; fingerprint: string; uri: string };
  assert.match(jon.fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(jon.uri, `xmpp:jon@localhost?omemo-sid-${jon.deviceId}=${jon.fingerprint}`);
  const human = await hush(['--profile', 'jon', 'fingerprints']);
  assert.match(human.stdout, /^\d+ ([0-9a-f]{8} ){7}[0-9a-f]{8}\nxmpp:jon@localhost\?omemo-sid-/);

  const sent = await hush(['--profile', 'ivy', 'send', 'jon@localhost', 'secret hello', '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal((JSON.parse(sent.stdout) as { encrypted: boolean }).encrypted, true);
  const history = await hush(['--profile', 'jon', 'history', 'ivy@localhost', '--json']);
  const got = history.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { body: string; encrypted: boolean });
  assert.deepEqual(
    got.map((m) => [m.body, m.encrypted]),
    [['secret hello', true]],
  );

  const devices = await hush(['--profile', 'ivy', 'fingerprints', 'jon@localhost', '--json']);
  const listed = devices.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { deviceId: number; fingerprint: string; trust: string });
  assert.deepEqual(
    listed.map((d) => [d.deviceId, d.fingerprint, d.trust]),
    [[jon.deviceId, jon.fingerprint, 'blind']],
  );
  const verified = await hush(['--profile', 'ivy', 'verify', jon.uri]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, / verified/);
  const ownDevices = await hush(['--profile', 'ivy', 'devices', '--json']);
  assert.equal(
    (JSON.parse(ownDevices.stdout.trim().split('\n')[0] ?? '{}') as { current: boolean }).current,
    true,
  );

  const distrusted = await hush(['--profile', 'ivy', 'distrust', 'jon@localhost', jon.fingerprint]);
  assert.equal(distrusted.code, 0, distrusted.stderr);
  const refused = await hush(['--profile', 'ivy', 'send', 'jon@localhost', 'not for you']);
  assert.equal(refused.code, 7);
  assert.match(refused.stderr, /NoTrustedDevice/);
  const trusted = await hush(['--profile', 'ivy', 'trust', 'jon@localhost', jon.fingerprint]);
  assert.equal(trusted.code, 0, trusted.stderr);
  const again = await hush(['--profile', 'ivy', 'send', 'jon@localhost', 'trusted again']);
  assert.equal(again.code, 0, again.stderr);

  // kim logged in with --plain: no OMEMO device, so nothing goes out in the clear.
  const plain = await hush(['--profile', 'ivy', 'send', 'kim@localhost', 'would leak']);
  assert.equal(plain.code, 7);
  assert.match(plain.stderr, /NoOmemoDevice/);
  const unknown = await hush(['--profile', 'ivy', 'trust', 'jon@localhost', 'ab'.repeat(32)]);
  assert.equal(unknown.code, 7);
});

test('send-file and send-voice: the listener downloads, decrypts and reports kind, type, duration and sha256; an over-long recording is refused', async () => {
  const service = ['--service', suite.server.websocketUrl];
  for (const name of ['lea', 'max']) {
    await suite.server.createAccount(name, `${name}-password`);
    const login = await hush(
      ['--profile', name, 'login', `${name}@localhost`, ...service],
      `${name}-password`,
    );
    assert.equal(login.code, 0, login.stderr);
  }
  const voicePath = join(suite.scratch, 'voice.ogg');
  await tone(voicePath, 2.5, ['-c:a', 'libopus'], { frequency: 300 });
  const longPath = join(suite.scratch, 'long.m4a');
  await tone(longPath, 302, ['-c:a', 'aac', '-b:a', '8k'], { frequency: 300 });
  const docPath = join(suite.scratch, 'notes.bin');
  await writeFile(docPath, randomBytes(50_000));
  const sha = async (path: string) =>
    createHash('sha256')
      .update(await readFile(path))
      .digest('hex');

  const filesDir = join(suite.scratch, 'max-files');
  const listener = spawn(
    process.execPath,
    cliArgs(['--profile', 'max', 'listen', '--json', '--files', filesDir]),
    { env: env() },
  );
  const events: Record<string, unknown>[] = [];
  createInterface({ input: listener.stdout }).on('line', (line) =>
    events.push(JSON.parse(line) as Record<string, unknown>),
  );
  const seen = async (predicate: (event: Record<string, unknown>) => boolean) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`not seen; got ${JSON.stringify(events)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    await seen((event) => event.type === 'ready');
    const voice = await hush(['--profile', 'lea', 'send-voice', 'max@localhost', voicePath]);
    assert.equal(voice.code, 0, voice.stderr);
    const gotVoice = await seen((event) => event.type === 'file' && event.kind === 'voice');
    assert.equal(gotVoice.sha256, await sha(voicePath));
    assert.equal(gotVoice.mimeType, 'audio/ogg; codecs=opus');
    assert.ok(Math.abs(Number(gotVoice.durationMs) - 2500) <= 50, String(gotVoice.durationMs));
    assert.equal(await sha(String(gotVoice.path)), await sha(voicePath));

    const doc = await hush(['--profile', 'lea', 'send-file', 'max@localhost', docPath]);
    assert.equal(doc.code, 0, doc.stderr);
    const gotDoc = await seen((event) => event.type === 'file' && event.kind === 'file');
    assert.equal(gotDoc.sha256, await sha(docPath));
    assert.equal(gotDoc.name, 'notes.bin');
    // The sender's description arrived inside the encryption and is kept with each message.
    const docMessage = await seen(
      (event) =>
        event.type === 'message' && (event.file as { name?: string })?.name === 'notes.bin',
    );
    assert.equal(docMessage.label, 'notes.bin');
    assert.equal((docMessage.file as { sha256?: string }).sha256, await sha(docPath));
    const sent = await hush(['--profile', 'lea', 'history', 'max@localhost']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /me -> max@localhost: \[Voice message 0:02\]/);
    assert.match(sent.stdout, /me -> max@localhost: \[notes\.bin\]/);
    assert.doesNotMatch(sent.stdout, /aesgcm|#/);

    const long = await hush(['--profile', 'lea', 'send-voice', 'max@localhost', longPath]);
    assert.equal(long.code, 4);
    assert.match(long.stderr, /VoiceTooLong/);
  } finally {
    listener.kill('SIGINT');
  }
});
