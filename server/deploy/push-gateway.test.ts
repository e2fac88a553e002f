// The native install's push gateway (push-gateway.sh, which init.sh runs): installed below a sandbox
// prefix, its secret and VAPID keys made once and kept private, unchanged by a second run, and
// connected to a Prosody that reads the same secret file, as init.sh renders it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rootOnly, startProsody, until } from '@hush/test-utils';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'push-gateway.sh');
const needsRoot = rootOnly(
  'push-gateway.sh installs for and runs as the prosody user: it needs root',
);

test(
  'push-gateway.sh installs the gateway once, keeps its secret private, and the gateway joins Prosody',
  { skip: needsRoot },
  async (t) => {
    const prefix = await mkdtemp(join(tmpdir(), 'hush-push-install-'));
    await chmod(prefix, 0o755);
    // Prosody first, for its component port; it reads the gateway's secret once that exists.
    const server = await startProsody({ push: { gatewaySecret: 'not-the-secret-'.repeat(3) } });
    t.after(() => server.stop());
    const args = ['--domain', 'localhost', '--service', 'none', '--prefix', prefix];
    args.push('--component-port', String(server.ports.component));
    const state = join(prefix, 'var/lib/hush-push');
    const pidFile = join(prefix, 'run/hush/push-gateway.pid');
    const log = join(prefix, 'var/log/hush/push-gateway.log');
    t.after(async () => {
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
      if (pid > 0) process.kill(pid, 'SIGTERM');
      await until(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        'the gateway to stop',
        30_000,
      ).catch(() => undefined);
      await rm(prefix, { recursive: true, force: true });
    });

    const first = await run('bash', [script, ...args]);
    assert.deepEqual(first.stdout.trim().split('\n'), ['changed', join(state, 'secret')]);
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    for (const file of ['secret', 'vapid.json'])
      assert.equal((await stat(join(state, file))).mode & 0o777, 0o600, file);
    const secret = (await readFile(join(state, 'secret'), 'utf8')).trim();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);

    const second = await run('bash', [script, ...args]);
    assert.equal(second.stdout.trim(), join(state, 'secret'), 'nothing changed');
    assert.equal((await readFile(join(state, 'secret'), 'utf8')).trim(), secret);

    // Prosody with the gateway's secret (init.sh names the very file): the gateway, retrying,
    // gets in.
    await writeFile(join(server.dir, 'push-secret'), `${secret}\n`);
    await server.restart();
    await until(
      async () =>
        (await readFile(log, 'utf8')).includes('connected to localhost as push.localhost'),
      'the gateway to connect',
      60_000,
    );
  },
);
