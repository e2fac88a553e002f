// The README's run command: a complete local server, and two invites that each create an account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, chmod, mkdir, utimes, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { registerAccount } from '@hush/core';
import { freePorts, repoRoot, rootOnly, trustCertificateAuthority } from '@hush/test-utils';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'local.sh');
const needsRoot = rootOnly(
  'local.sh installs packages and runs Prosody as its user: it needs root',
);

test(
  'local.sh starts a working server serving the web app, and prints two invites that each sign up one person',
  { skip: needsRoot },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hush-local-'));
    await chmod(dir, 0o755);
    const [c2s, c2sTls, https, push] = (await freePorts(4)) as [number, number, number, number];
    // A stand-in web build: the real one is made by the browser tests' export step.
    const web = join(dir, 'web-build');
    await mkdir(web);
    const page = `<!doctype html><title>Hush ${https}</title>`;
    await writeFile(join(web, 'index.html'), page);
    const env = {
      ...process.env,
      HUSH_WEB_DIR: web,
      HUSH_LOCAL_DIR: dir,
      HUSH_C2S_PORT: String(c2s),
      HUSH_C2S_TLS_PORT: String(c2sTls),
      HUSH_HTTPS_PORT: String(https),
      HUSH_PUSH_PORT: String(push),
    };
    try {
      const { stdout } = await run('bash', [script], { env });
      const invites = [...new Set(stdout.match(/xmpp:localhost\?register;preauth=[\w-]+/g) ?? [])];
      assert.equal(invites.length, 2, `two distinct invites in:\n${stdout}`);
      trustCertificateAuthority(readFileSync(join(dir, 'etc/prosody/local-ca/ca.crt'), 'utf8'));
      assert.match(stdout, new RegExp(`web app +https://localhost:${https}/`));
      const served = await fetch(`https://localhost:${https}/`);
      assert.equal(await served.text(), page);
      // Each invite also comes as an https link that opens the web app with its token.
      const links =
        stdout.match(new RegExp(`https://localhost:${https}/invite\\?[\\w-]+`, 'g')) ?? [];
      assert.deepEqual(
        links.map((link) => link.split('?')[1]).sort(),
        invites.map((invite) => invite.split('preauth=')[1]).sort(),
      );
      assert.equal(await (await fetch(links[0] ?? '')).text(), page);
      const service = `wss://localhost:${https}/xmpp-websocket`;
      for (const [index, invite] of invites.entries()) {
        const session = await registerAccount({
          service,
          invite,
          username: `person${index}`,
          password: `pw-${index}-local`,
        });
        assert.match(session.jid, new RegExp(`^person${index}@localhost/`));
        await session.close();
      }

      // The operator command, as printed: one line to copy, no configuration to name.
      const operator = /^ {2}operator +(\S+) invite\|users\|stats/m.exec(stdout)?.[1];
      assert.ok(operator, stdout);
      assert.deepEqual((await run(operator, ['users'])).stdout.trim().split('\n'), [
        'person0@localhost',
        'person1@localhost',
      ]);
      // A relative --config works too; another server's configuration is refused.
      const relative = await run(operator, ['--config', 'etc/prosody/prosody.cfg.lua', 'users'], {
        cwd: dir,
      });
      assert.match(relative.stdout, /person0@localhost/);
      const foreign = join(dir, 'other.cfg.lua');
      await writeFile(foreign, 'VirtualHost "other.example"\n');
      await assert.rejects(
        run(operator, ['--config', foreign, 'users']),
        (error: { stderr?: string }) =>
          /is not a Hush server's configuration/.test(error.stderr ?? ''),
      );

      // A second run without the port settings uses the ports of the first.
      const unset = Object.fromEntries(
        Object.entries(env).filter(([name]) => !/^HUSH_(C2S|C2S_TLS|HTTPS|PUSH)_PORT$/.test(name)),
      );
      const again = await run('bash', [script], { env: unset });
      assert.match(again.stdout, new RegExp(`websocket +wss://localhost:${https}/`));
      assert.match(again.stdout, new RegExp(`XMPP +localhost:${c2s} \\(STARTTLS\\)`));
    } finally {
      await run('bash', [script, 'stop'], { env }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test(
  'local.sh names a port another program holds, and the setting that moves it, before starting anything',
  { skip: needsRoot },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hush-local-'));
    await chmod(dir, 0o755);
    const [c2s, c2sTls, https, push] = (await freePorts(4)) as [number, number, number, number];
    const squatter = createServer(() => undefined);
    await new Promise<void>((resolve) => squatter.listen(c2sTls, '127.0.0.1', resolve));
    try {
      const env = {
        ...process.env,
        HUSH_WEB_DIR: 'none',
        HUSH_LOCAL_DIR: dir,
        HUSH_C2S_PORT: String(c2s),
        HUSH_C2S_TLS_PORT: String(c2sTls),
        HUSH_HTTPS_PORT: String(https),
        HUSH_PUSH_PORT: String(push),
      };
      await assert.rejects(
        run('bash', [script], { env }),
        (error: { code?: number; stderr?: string; stdout?: string }) => {
          assert.equal(error.code, 2);
          assert.match(error.stderr ?? '', new RegExp(`port ${c2sTls} is in use`));
          assert.match(error.stderr ?? '', /HUSH_C2S_TLS_PORT=/);
          assert.doesNotMatch(
            `${error.stdout ?? ''}${error.stderr ?? ''}`,
            /Prosody (started|\(re\)started)/,
          );
          return true;
        },
      );
      assert.equal(existsSync(join(dir, 'run/prosody/prosody.pid')), false, 'nothing was started');
    } finally {
      squatter.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('build-web.sh --check: a build is current until a source is newer than its index.html', async () => {
  const out = await mkdtemp(join(tmpdir(), 'hush-web-check-'));
  const check = () =>
    run('bash', [join(repoRoot, 'scripts/build-web.sh'), '--check', out]).then(
      () => 'current',
      (error: { code?: number }) => (error.code === 1 ? 'stale' : `failed: ${String(error.code)}`),
    );
  try {
    assert.equal(await check(), 'stale', 'no build yet');
    await writeFile(join(out, 'index.html'), '<!doctype html>');
    assert.equal(await check(), 'current');
    await utimes(join(out, 'index.html'), new Date('2001-01-01'), new Date('2001-01-01'));
    assert.equal(await check(), 'stale', 'sources changed after the build');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
