// The CLI as people script it: the real binary, a real server, exit codes and messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startProsody, type ProsodyServer } from '@hush/test-utils';

const bin = fileURLToPath(new URL('../bin/hush.js', import.meta.url));
let server: ProsodyServer;
before(async () => (server = await startProsody()));
after(() => server?.stop());

function hush(
  args: string[],
  password?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', bin, ...args],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: server.caFile, HUSH_PASSWORD: password ?? '' },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

test('register with an invite, log in, and every refusal with its exit code', async () => {
  const service = ['--service', server.websocketUrl];
  const invite = await server.createInvite();
  const created = await hush(['register', invite, 'erin', ...service], 'erin-password');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Account erin@localhost created/);

  const reused = await hush(['register', invite, 'frank', ...service], 'frank-password');
  assert.equal(reused.code, 4);
  assert.match(reused.stderr, /already been used or has expired\. \(InviteInvalid\)/);

  const ok = await hush(
    ['login', 'erin@localhost', '--service', `xmpps://localhost:${server.ports.c2sTls}`],
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
