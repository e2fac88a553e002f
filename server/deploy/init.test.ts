// The native install (server/deploy/init.sh) end to end, in its sandbox: a temporary --prefix, the
// real Debian Prosody started without systemd as the prosody user, loopback and free ports. It needs
// root (packages, the prosody user, file ownership); CI runs as root, elsewhere it is skipped.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';
import { freePorts, repoRoot, rootOnly } from '@hush/test-utils';

const run = promisify(execFile);
const initScript = join(repoRoot, 'server/deploy/init.sh');
const needsRoot = rootOnly(
  'init.sh installs packages, writes files owned by the prosody user and runs Prosody as that user: it needs root',
);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function init(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  try {
    const { stdout, stderr } = await run(initScript, args, { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function assertSucceeded(result: Result): void {
  assert.equal(result.code, 0, `init.sh failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Path -> mode, owner and content hash of everything below `dirs`, but pid files, sockets, logs and
 * the bookkeeping Prosody 13 writes by itself a moment after it starts (its cron's last runs,
 * mod_http_file_share's storage summary), and the upload component's store, which Prosody creates
 * whenever it first gets to it (var/lib/prosody/upload%2eDOMAIN/).
 */
async function snapshot(root: string, dirs: string[]): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      if (/^var\/lib\/prosody\/upload%2e[^/]+$/.test(relative(root, path))) continue;
      const info = await lstat(path);
      const meta = `${info.mode.toString(8)} ${info.uid}:${info.gid}`;
      if (info.isDirectory()) {
        entries.set(relative(root, path) + '/', meta);
        await walk(path);
      } else if (info.isFile() && !/\.(pid|log|err)$|^(cron|upload_stats)\.dat$/.test(name)) {
        const digest = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
        entries.set(relative(root, path), `${meta} ${digest}`);
      }
    }
  };
  for (const dir of dirs) await walk(join(root, dir));
  return entries;
}

/** A sandbox prefix the prosody user can reach, its free ports and init.sh's arguments for it. */
async function makeSandbox(name: string) {
  const prefix = await mkdtemp(join(tmpdir(), `hush-init-${name}-`));
  await chmod(prefix, 0o755);
  const [c2s, c2sTls, https] = (await freePorts(3)) as [number, number, number];
  const args = [
    '--domain',
    'localhost',
    '--prefix',
    prefix,
    '--service',
    'none',
    '--interfaces',
    '127.0.0.1',
    '--c2s-port',
    String(c2s),
    '--c2s-tls-port',
    String(c2sTls),
    '--https-port',
    String(https),
  ];
  const pidFile = join(prefix, 'run/prosody/prosody.pid');
  return {
    prefix,
    ports: { c2s, c2sTls, https },
    args,
    config: join(prefix, 'etc/prosody/prosody.cfg.lua'),
    pid: async () => Number((await readFile(pidFile, 'utf8')).trim()),
    /** Stops the server if it runs and removes the prefix; safe after any failure. */
    async destroy() {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0 && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The certificate the server presents on its direct-TLS port, verified against `ca` only. */
function tlsCertificate(port: number, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      const certificate = socket.getPeerCertificate();
      socket.destroy();
      if (socket.authorized) resolve(certificate);
      else reject(new Error(`not authorized: ${socket.authorizationError}`));
    });
    socket.once('error', reject);
  });
}

const INVITE = /xmpp:localhost\?register;preauth=[\w-]+/;

test('init.sh refuses bad arguments with a clear message', async () => {
  const cases: [string[], RegExp][] = [
    [[], /--domain is required/],
    [['--local-ca'], /--domain is required/],
    [['--domain', 'bad domain!', '--local-ca'], /'bad domain!' is not a domain name/],
    [['--domain', '-chat.example.org', '--local-ca'], /is not a domain name/],
    [['--domain', 'chat.example.org', '--cert', '/etc/hostname'], /--cert and --key go together/],
    [['--domain', 'chat.example.org', '--local-ca', '--letsencrypt'], /choose one of/],
    [['--domain', 'chat.example.org', '--letsencrypt'], /--letsencrypt needs --email/],
    [['--domain', 'chat.example.org', '--local-ca', '--https-port', '99999'], /not a port/],
    [['--domain', 'chat.example.org', '--local-ca', '--retention-days', 'ever'], /retention-days/],
    [['--domain', 'chat.example.org', '--local-ca', '--frobnicate'], /unknown argument/],
    [['--domain', 'chat.example.org', '--local-ca', '--prefix', 'relative'], /absolute path/],
  ];
  // A prefix that does not exist: should a check ever let bad arguments through, init.sh still
  // stops there instead of installing on this machine.
  const guard = ['--prefix', '/nonexistent/hush-init-test'];
  for (const [args, message] of cases) {
    const result = await init(args.includes('--prefix') ? args : [...args, ...guard]);
    assert.notEqual(result.code, 0, `init.sh ${args.join(' ')} should fail`);
    assert.match(result.stderr, message, `init.sh ${args.join(' ')}`);
  }
  const help = await init(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--local-ca/);
});

describe('init.sh --local-ca in a sandbox prefix', { skip: needsRoot }, () => {
  let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
  let first: Result;
  before(async () => {
    sandbox = await makeSandbox('local-ca');
    first = await init([...sandbox.args, '--local-ca']);
  });
  after(() => sandbox?.destroy());

  test('installs, starts Prosody and prints the first invite and the CA', async () => {
    assertSucceeded(first);
    await run('prosodyctl', ['--config', sandbox.config, 'check', 'config']);
    const caFile = /CA certificate \(clients must trust it\): (\/\S+)$/m.exec(first.stdout)?.[1];
    assert.equal(caFile, join(sandbox.prefix, 'etc/prosody/local-ca/ca.crt'));
    const certificate = await tlsCertificate(sandbox.ports.c2sTls, await readFile(caFile, 'utf8'));
    assert.equal(certificate.subject.CN, 'localhost');

    const invite = INVITE.exec(first.stdout)?.[0];
    assert.ok(invite, `no invite in:\n${first.stdout}`);
    const stored = join(sandbox.prefix, 'var/lib/prosody/hush/first-invite');
    assert.equal((await readFile(stored, 'utf8')).trim(), invite);
    assert.equal((await stat(stored)).mode & 0o777, 0o600);
    assert.match(first.stdout, /█/, 'a QR code in the terminal');

    const prosodyUid = Number((await run('id', ['-u', 'prosody'])).stdout.trim());
    const daemon = await stat(`/proc/${await sandbox.pid()}`);
    assert.equal(daemon.uid, prosodyUid, 'Prosody runs as the prosody user, not root');
    const hushServer = join(sandbox.prefix, 'usr/local/bin/hush-server');
    const users = await run(hushServer, ['--config', sandbox.config, 'users']);
    assert.equal(users.stdout, '');
  });

  test('a second run with the same arguments changes nothing and keeps the server running', async () => {
    const dirs = ['etc', 'var/lib'];
    const before = await snapshot(sandbox.prefix, dirs);
    const pid = await sandbox.pid();
    const second = await init([...sandbox.args, '--local-ca']);
    assertSucceeded(second);
    assert.deepEqual(await snapshot(sandbox.prefix, dirs), before);
    assert.equal(await sandbox.pid(), pid);
    assert.ok(isAlive(pid));
    assert.match(second.stdout, /Nothing changed/);
    assert.match(second.stdout, /not used yet/);
    assert.equal(INVITE.exec(second.stdout)?.[0], INVITE.exec(first.stdout)?.[0]);
  });

  test('once an account exists it stops showing the first invite', async () => {
    await run('prosodyctl', ['--config', sandbox.config, 'register', 'alice', 'localhost', 'pw']);
    const third = await init([...sandbox.args, '--local-ca']);
    assertSucceeded(third);
    assert.doesNotMatch(third.stdout, INVITE);
    assert.match(
      third.stdout,
      /Accounts exist on localhost\. Invite someone else with: .*hush-server/,
    );
  });

  test('a changed setting rewrites the config, keeps a backup and restarts Prosody', async () => {
    const pid = await sandbox.pid();
    const changed = await init([...sandbox.args, '--local-ca', '--retention-days', '30']);
    assertSucceeded(changed);
    assert.match(await readFile(sandbox.config, 'utf8'), /archive_expires_after = "30d"/);
    const backups = (await readdir(join(sandbox.prefix, 'etc/prosody'))).filter((name) =>
      name.startsWith('prosody.cfg.lua.bak-'),
    );
    assert.equal(backups.length, 1);
    assert.notEqual(await sandbox.pid(), pid);
    assert.ok(!isAlive(pid));
    // The data survived: the account made before is still there.
    const users = await run(join(sandbox.prefix, 'usr/local/bin/hush-server'), [
      '--config',
      sandbox.config,
      'users',
    ]);
    assert.equal(users.stdout, 'alice@localhost\n');
  });
});

// certbot cannot reach Let's Encrypt from a test machine: a stand-in on PATH does what
// `certbot certonly` does to the config dir, so the flow around it (copy, hook, reload) runs for real.
const fakeCertbot = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$(dirname "$0")/calls"
while [[ $# -gt 0 ]]; do
	case "$1" in --cert-name) name=$2; shift ;; --config-dir) dir=$2; shift ;; esac
	shift
done
mkdir -p "$dir/live/$name"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 -subj "/CN=$name" \\
	-addext "subjectAltName=DNS:$name" -keyout "$dir/live/$name/privkey.pem" -out "$dir/live/$name/fullchain.pem" 2>/dev/null
`;

describe(
  'init.sh --letsencrypt in a sandbox prefix (certbot stand-in)',
  { skip: needsRoot },
  () => {
    let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
    let env: NodeJS.ProcessEnv;
    let bin: string;
    const args = () => [...sandbox.args, '--letsencrypt', '--email', 'admin@example.org'];
    before(async () => {
      sandbox = await makeSandbox('letsencrypt');
      bin = join(sandbox.prefix, 'fake-bin');
      await run('mkdir', ['-p', bin]);
      await writeFile(join(bin, 'certbot'), fakeCertbot, { mode: 0o755 });
      env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    });
    after(() => sandbox?.destroy());

    test('gets the certificate once, installs it, and a renewal reaches Prosody through the hook', async () => {
      assertSucceeded(await init(args(), env));
      const calls = (await readFile(join(bin, 'calls'), 'utf8')).trim().split('\n');
      assert.equal(calls.length, 1);
      assert.match(
        calls[0] ?? '',
        /^certonly --non-interactive --agree-tos --email admin@example\.org/,
      );
      assert.match(calls[0] ?? '', /--standalone/);
      const live = join(sandbox.prefix, 'etc/letsencrypt/live/localhost');
      const installed = join(sandbox.prefix, 'etc/prosody/certs/localhost.crt');
      assert.equal(
        await readFile(installed, 'utf8'),
        await readFile(join(live, 'fullchain.pem'), 'utf8'),
      );
      const issued = await readFile(join(live, 'fullchain.pem'), 'utf8');
      const served = await tlsCertificate(sandbox.ports.c2sTls, issued);
      assert.equal(served.subject.CN, 'localhost');

      const again = await init(args(), env);
      assertSucceeded(again);
      assert.match(again.stdout, /Nothing changed/);
      assert.equal((await readFile(join(bin, 'calls'), 'utf8')).trim().split('\n').length, 1);

      // A renewal: certbot replaces the live files and runs the deploy hooks with RENEWED_LINEAGE.
      const pid = await sandbox.pid();
      await run(join(bin, 'certbot'), [
        'renew',
        '--cert-name',
        'localhost',
        '--config-dir',
        join(sandbox.prefix, 'etc/letsencrypt'),
      ]);
      const renewed = await readFile(join(live, 'fullchain.pem'), 'utf8');
      assert.notEqual(renewed, issued);
      const hook = join(sandbox.prefix, 'etc/letsencrypt/renewal-hooks/deploy/hush-prosody');
      await run(hook, [], { env: { ...env, RENEWED_LINEAGE: live } });
      assert.equal(await readFile(installed, 'utf8'), renewed);
      let now: PeerCertificate | undefined;
      for (let i = 0; i < 50 && !now; i++) {
        now = await tlsCertificate(sandbox.ports.c2sTls, renewed).catch(() => undefined);
        if (!now) await sleep(100);
      }
      assert.ok(now, 'Prosody serves the renewed certificate after the hook');
      assert.equal(await sandbox.pid(), pid, 'reloaded, not restarted');
      // Another certificate's renewal leaves Prosody alone.
      await run(hook, [], {
        env: { ...env, RENEWED_LINEAGE: '/etc/letsencrypt/live/other.example' },
      });
      assert.equal(await readFile(installed, 'utf8'), renewed);
    });
  },
);
