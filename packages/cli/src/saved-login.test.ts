// No password at rest in a CLI profile: after sign-up, login, a password change and the migration
// of an older profile that kept one, the profile's files hold no byte of the password, and the
// saved login (FAST token or SCRAM keys) connects, also after a server restart. Keys and token
// outdated by a password change elsewhere exit 3, as a wrong password does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import { cliEnv, runCli, serverSuite } from '@hush/test-utils';

const suite = serverSuite({
  server: { settings: { COMMUNITY_MODULES: 'true' } },
  trust: false,
  // HUSH_HOME: every profile the tests make lives in the scratch folder.
  scratch: 'hush-cli-login-',
});

const hush = (args: string[], password?: string) =>
  runCli(args, cliEnv(suite.server.caFile, suite.scratch, password));

/** Every file of the profile (the database, its -wal and -shm), as bytes. */
async function profileBytes(profile: string): Promise<Buffer> {
  const dir = join(suite.scratch, profile);
  const names = await readdir(dir);
  return Buffer.concat(await Promise.all(names.map((name) => readFile(join(dir, name)))));
}

async function assertNoPassword(profile: string, ...passwords: string[]): Promise<void> {
  const bytes = await profileBytes(profile);
  for (const password of passwords)
    assert.equal(bytes.indexOf(password), -1, `'${password}' is in profile ${profile}`);
}

/** The saved login's text in the profile's database. */
function savedLogin(profile: string): string | null {
  const db = new DatabaseSync(join(suite.scratch, profile, 'hush.db'), { readOnly: true });
  try {
    const row = db.prepare('SELECT saved_login, password FROM accounts').get() as {
      saved_login: string | null;
      password: string | null;
    };
    assert.equal(row.password, null);
    return row.saved_login;
  } finally {
    db.close();
  }
}

const service = () => ['--service', suite.server.websocketUrl];
const plain = '--plain';

test('sign-up and login keep a saved login and no password; it connects after a server restart', async () => {
  const invite = await suite.server.createInvite();
  const created = await hush(
    ['--profile', 'kim', plain, 'register', invite, 'kim', ...service()],
    'kim-password-1',
  );
  assert.equal(created.code, 0, created.stderr);
  await assertNoPassword('kim', 'kim-password-1');
  assert.match(savedLogin('kim') ?? '', /"fast":\{"mechanism":"HT-SHA-256-NONE"/);

  await suite.server.createAccount('lou', 'lou-password-1');
  const login = await hush(
    ['--profile', 'lou', plain, 'login', 'lou@localhost', ...service()],
    'lou-password-1',
  );
  assert.equal(login.code, 0, login.stderr);
  await assertNoPassword('lou', 'lou-password-1');
  assert.ok(savedLogin('lou'));

  await suite.server.restart();
  const listed = await hush(['--profile', 'lou', plain, 'contacts', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  await assertNoPassword('lou', 'lou-password-1');
});

test('a password change keeps neither password; a change elsewhere exits 3 until the next login', async () => {
  await suite.server.createAccount('max', 'max-password-1');
  assert.equal(
    (
      await hush(
        ['--profile', 'max', plain, 'login', 'max@localhost', ...service()],
        'max-password-1',
      )
    ).code,
    0,
  );
  const changed = await hush(['--profile', 'max', plain, 'account', 'password'], 'max-password-2');
  assert.equal(changed.code, 0, changed.stderr);
  await assertNoPassword('max', 'max-password-1', 'max-password-2');
  assert.equal((await hush(['--profile', 'max', plain, 'contacts', 'list'])).code, 0);

  // Another device of the account changes the password: this profile's keys and token are outdated.
  assert.equal(
    (
      await hush(
        ['--profile', 'max-other', plain, 'login', 'max@localhost', ...service()],
        'max-password-2',
      )
    ).code,
    0,
  );
  assert.equal(
    (await hush(['--profile', 'max-other', plain, 'account', 'password'], 'max-password-3')).code,
    0,
  );
  const outdated = await hush(['--profile', 'max', plain, 'contacts', 'list']);
  assert.equal(outdated.code, 3, outdated.stderr);
  assert.match(outdated.stderr, /WrongPassword/);
  const again = await hush(
    ['--profile', 'max', plain, 'login', 'max@localhost', ...service()],
    'max-password-3',
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await hush(['--profile', 'max', plain, 'contacts', 'list'])).code, 0);
  await assertNoPassword('max', 'max-password-1', 'max-password-2', 'max-password-3');
});

test('a profile an older version wrote, with the password in it, is migrated and the password erased', async () => {
  // storage-node's fixture: a schema-4 profile written by an older Hush, its account's password
  // 'correct horse' in the file. Its account is moved to this server.
  await suite.server.createAccount('alice', 'correct horse');
  const dir = join(suite.scratch, 'old');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fixture = new URL(
    '../../storage-node/src/fixtures/v4-cli-profile.sqlite.gz',
    import.meta.url,
  );
  await writeFile(join(dir, 'hush.db'), gunzipSync(await readFile(fixture)), { mode: 0o600 });
  const db = new DatabaseSync(join(dir, 'hush.db'));
  db.prepare('UPDATE accounts SET jid = ?, service = ?').run(
    'alice@localhost',
    suite.server.websocketUrl,
  );
  db.prepare('UPDATE messages SET account = ?').run('alice@localhost');
  db.close();
  assert.notEqual((await profileBytes('old')).indexOf('correct horse'), -1);

  const first = await hush(['--profile', 'old', plain, 'contacts', 'list']);
  assert.equal(first.code, 0, first.stderr);
  await assertNoPassword('old', 'correct horse');
  assert.ok(savedLogin('old'));
  // From the saved login from now on.
  assert.equal((await hush(['--profile', 'old', plain, 'contacts', 'list'])).code, 0);
  // Its history is still there.
  const history = await hush(['--profile', 'old', 'history', 'bob@hush.test']);
  assert.match(history.stdout, /hello bob/);
});
