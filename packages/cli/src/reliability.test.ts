// The CLI as bots and scripts rely on it: a device of its own per profile, one process owning a
// profile while others run through it, a listener that outlives server restarts and network loss,
// texts written offline kept for later, and `send` returning only once the server has the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSqliteStorage } from '@hush/storage-node';
import {
  cliArgs,
  cliBin,
  cliEnv,
  runCli,
  serverSuite,
  startTcpProxy,
  until,
  type CliResult,
} from '@hush/test-utils';

const suite = serverSuite({
  trust: false,
  // HUSH_HOME: every profile the tests make lives in the scratch folder.
  scratch: 'hush-cli-',
});

const env = (password?: string) => cliEnv(suite.server.caFile, suite.scratch, password);
const hush = (args: string[], password?: string): Promise<CliResult> => runCli(args, env(password));

/** `hush --profile NAME ...`, asserting exit 0. */
async function ok(profile: string, ...args: string[]): Promise<CliResult> {
  const result = await hush(['--profile', profile, ...args]);
  assert.equal(result.code, 0, `hush ${args.join(' ')}: ${result.stderr}`);
  return result;
}

const created = new Set<string>();
async function account(name: string, profile = name, service = suite.server.websocketUrl) {
  const password = `${name}-password`;
  // Once per account: registering it again sets the password anew (a new salt), which logs out the
  // profiles that already logged in, as a password change does.
  if (!created.has(name)) await suite.server.createAccount(name, password).catch(() => undefined);
  created.add(name);
  const login = await hush(
    ['--profile', profile, 'login', `${name}@localhost`, '--service', service],
    password,
  );
  assert.equal(login.code, 0, login.stderr);
}

interface Listener {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  stderr(): string;
  /** Waits for an event; `after` skips the events seen before that index. */
  seen(
    what: string,
    predicate: (event: Record<string, unknown>) => boolean,
    after?: number,
  ): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

function listen(profile: string, ...extra: string[]): Listener {
  const child = spawn(
    process.execPath,
    cliArgs(['--profile', profile, 'listen', '--json', ...extra]),
    { env: env() },
  );
  const events: Record<string, unknown>[] = [];
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) =>
    events.push(JSON.parse(line) as Record<string, unknown>),
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    events,
    stderr: () => errors,
    seen: (what, predicate, after = 0) =>
      until(
        () => {
          if (child.exitCode !== null)
            throw new Error(`${profile}'s listener exited (${child.exitCode}): ${errors}`);
          return events.slice(after).find(predicate);
        },
        `${profile}'s listener: ${what} (got ${JSON.stringify(events)})`,
        60_000,
      ),
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

const message = (body: string) => (event: Record<string, unknown>) =>
  event.type === 'message' && event.body === body;
const connection = (state: string) => (event: Record<string, unknown>) =>
  event.type === 'connection' && event.state === state;

async function outbox(profile: string): Promise<number> {
  const storage = await openSqliteStorage(join(suite.scratch, profile, 'hush.db'));
  try {
    const [stored] = await storage.accounts.list();
    return stored ? (await storage.outbox.list(stored.jid)).length : 0;
  } finally {
    await storage.close();
  }
}

async function storedResource(profile: string): Promise<string | undefined> {
  const storage = await openSqliteStorage(join(suite.scratch, profile, 'hush.db'));
  try {
    return (await storage.accounts.list())[0]?.resource;
  } finally {
    await storage.close();
  }
}

test('each profile is a device with its own resource: two profiles of one account both listen and both receive', async () => {
  await account('ann', 'ann-laptop');
  await account('ann', 'ann-server');
  await account('bob');
  const laptop = await storedResource('ann-laptop');
  const serverSide = await storedResource('ann-server');
  assert.match(laptop ?? '', /^hush-cli-[0-9a-f]+$/);
  assert.notEqual(laptop, serverSide);

  const one = listen('ann-laptop');
  const two = listen('ann-server');
  try {
    const [a, b] = await Promise.all([
      one.seen('ready', (event) => event.type === 'ready'),
      two.seen('ready', (event) => event.type === 'ready'),
    ]);
    assert.notEqual(a.jid, b.jid);
    // The server may add a suffix of its own to the resource a client asks for.
    assert.ok(String(a.jid).startsWith(`ann@localhost/${laptop}`), String(a.jid));
    await ok('bob', 'send', 'ann@localhost', 'to both of you');
    await Promise.all([
      one.seen('the message', message('to both of you')),
      two.seen('the message', message('to both of you')),
    ]);
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
  // Kept across runs.
  assert.equal(await storedResource('ann-laptop'), laptop);

  // A profile from before, with the resource every profile used to share, gets one of its own.
  const storage = await openSqliteStorage(join(suite.scratch, 'ann-laptop', 'hush.db'));
  const [stored] = await storage.accounts.list();
  assert.ok(stored);
  await storage.accounts.put({ ...stored, resource: 'hush-cli' });
  await storage.close();
  await ok('ann-laptop', 'contacts', 'list');
  const migrated = await storedResource('ann-laptop');
  assert.match(migrated ?? '', /^hush-cli-[0-9a-f]+$/);
  assert.notEqual(migrated, serverSide);
});

test('a running listener owns the profile: other commands run through it, and it keeps receiving', async () => {
  await account('cat');
  await account('dan');
  const cat = listen('cat');
  try {
    await cat.seen('ready', (event) => event.type === 'ready');
    const socket = join(suite.scratch, 'cat', 'control.sock');
    assert.equal((await stat(socket)).mode & 0o777, 0o600);

    const sent = await ok('cat', 'send', 'dan@localhost', 'from the owner', '--json');
    assert.equal((JSON.parse(sent.stdout) as { body: string }).body, 'from the owner');
    assert.equal(await outbox('cat'), 0);
    assert.match((await ok('cat', 'devices')).stdout, /this device/);
    await ok('cat', 'contacts', 'list');
    assert.match(
      (await ok('cat', 'history', 'dan@localhost')).stdout,
      /me -> dan@localhost: from the owner/,
    );
    // Errors come back with the same message and exit code.
    const wrong = await hush(['--profile', 'cat', 'send', 'not-an-address', 'x']);
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /InvalidUsername/);
    const missing = await hush(['--profile', 'cat', 'send-file', 'dan@localhost', '/nonexistent']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read '\/nonexistent': no such file\. \(FileNotFound\)/);
    // Concurrent commands through the owner.
    const results = await Promise.all(
      [1, 2, 3].map((n) => hush(['--profile', 'cat', 'send', 'dan@localhost', `burst ${n}`])),
    );
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    // A second listener is refused at once.
    const second = await hush(['--profile', 'cat', 'listen']);
    assert.equal(second.code, 8);
    assert.match(second.stderr, /ProfileBusy/);

    // The listener's stream was never pushed off: it still receives live.
    await ok('dan', 'send', 'cat@localhost', 'still listening?');
    await cat.seen('a live message', message('still listening?'));
    assert.doesNotMatch(cat.stderr(), /conflict|replaced/i);

    // The control socket speaks JSON-RPC 2.0 to anyone with access to the profile folder.
    const replies = await rpc(socket, [
      { jsonrpc: '2.0', id: 7, method: 'send', params: { args: ['dan@localhost', 'by rpc'] } },
      { jsonrpc: '2.0', id: 8, method: 'frobnicate', params: { args: [] } },
    ]);
    assert.deepEqual(replies.find((reply) => reply.id === 7)?.result, { exitCode: 0 });
    assert.equal((replies.find((reply) => reply.id === 8)?.error as { code: number }).code, -32601);
    assert.ok(
      replies.some(
        (reply) =>
          reply.method === 'output' &&
          (reply.params as { line: string }).line === 'Sent to dan@localhost.',
      ),
    );
  } finally {
    await cat.stop();
  }

  // A listener that died leaves its socket behind: the next command sees nobody answers and works
  // on its own, and the next listener takes the profile over.
  const crashed = listen('cat');
  await crashed.seen('ready', (event) => event.type === 'ready');
  crashed.child.kill('SIGKILL');
  await crashed.stop();
  await stat(join(suite.scratch, 'cat', 'control.sock'));
  await ok('cat', 'send', 'dan@localhost', 'after a crash');
  const again = listen('cat');
  try {
    await again.seen('ready', (event) => event.type === 'ready');
    await ok('cat', 'send', 'dan@localhost', 'through the new owner');
  } finally {
    await again.stop();
  }
  assert.match(
    (await ok('dan', 'history', 'cat@localhost')).stdout,
    /cat@localhost: after a crash\n.*cat@localhost: through the new owner/s,
  );
});

/** Sends JSON-RPC requests on the control socket; resolves with every line until all are answered. */
function rpc(
  path: string,
  requests: (Record<string, unknown> & { id: number })[],
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const replies: Record<string, unknown>[] = [];
    socket.on('error', reject);
    createInterface({ input: socket }).on('line', (line) => {
      replies.push(JSON.parse(line) as Record<string, unknown>);
      if (requests.every(({ id }) => replies.some((reply) => reply.id === id))) {
        socket.destroy();
        resolve(replies);
      }
    });
    for (const request of requests) socket.write(`${JSON.stringify(request)}\n`);
  });
}

test('two commands on one profile without a listener take turns', async () => {
  await account('eve');
  await account('fay');
  const results = await Promise.all(
    [1, 2, 3].map((n) => hush(['--profile', 'eve', 'send', 'fay@localhost', `turn ${n}`])),
  );
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const history = (await ok('fay', 'history', 'eve@localhost')).stdout;
  for (const n of [1, 2, 3]) assert.match(history, new RegExp(`eve@localhost: turn ${n}`));
});

test('send returns once the server has acknowledged: nothing is left in the outbox to send again', async () => {
  await account('gil');
  await account('hal');
  // hal listens, so his receipts come back at once, often before the server's ack.
  const hal = listen('hal');
  try {
    await hal.seen('ready', (event) => event.type === 'ready');
    for (const n of [1, 2, 3, 4, 5]) {
      await ok('gil', 'send', 'hal@localhost', `acked ${n}`);
      assert.equal(await outbox('gil'), 0, `message ${n} is still in the outbox`);
    }
  } finally {
    await hal.stop();
  }
});

test('without the server, a text waits in the outbox and leaves with the next connection; errors keep their exit codes', async () => {
  await account('ida');
  await account('jo');
  await suite.server.halt();
  try {
    const queued = await hush(['--profile', 'ida', 'send', 'jo@localhost', 'written offline']);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout, /^Queued for jo@localhost\.$/m);
    assert.match(queued.stderr, /ServerUnreachable.*outbox/);
    const json = await hush(['--profile', 'ida', 'send', 'jo@localhost', 'also offline', '--json']);
    assert.equal((JSON.parse(json.stdout) as { state: string }).state, 'pending');
    // A file needs the server; and unreachable is exit 5 over wss too.
    const file = await hush(['--profile', 'ida', 'send-file', 'jo@localhost', cliBin]);
    assert.equal(file.code, 5, file.stderr);
    assert.match(file.stderr, /ServerUnreachable/);
    const login = await hush(
      ['--profile', 'nobody', 'login', 'ida@localhost', '--service', suite.server.websocketUrl],
      'ida-password',
    );
    assert.equal(login.code, 5, login.stderr);
    assert.match(login.stderr, /ServerUnreachable/);
  } finally {
    await suite.server.start();
  }
  assert.equal(await outbox('ida'), 2);
  // The next command that connects sends them, in the order written, and leaves only once the
  // server has acknowledged them.
  await ok('ida', 'contacts', 'list');
  assert.equal(await outbox('ida'), 0, 'acknowledged before the command ended');
  assert.match(
    (await ok('jo', 'history', 'ida@localhost')).stdout,
    /ida@localhost: written offline\n.*ida@localhost: also offline/s,
  );
  // A missing file is a usage error, not an unexpected one.
  const missing = await hush(['--profile', 'ida', 'send-voice', 'jo@localhost', '/no/such.m4a']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Cannot read '\/no\/such\.m4a': no such file/);
});

test('the listener survives server restarts and network loss, says so, and keeps receiving live', async () => {
  await account('kim');
  await account('lou');
  const proxy = await startTcpProxy(suite.server.ports.https);
  // kim's listener goes through a proxy that can cut the network.
  const storage = await openSqliteStorage(join(suite.scratch, 'kim', 'hush.db'));
  const [stored] = await storage.accounts.list();
  assert.ok(stored);
  await storage.accounts.put({
    ...stored,
    service: `wss://localhost:${proxy.port}/xmpp-websocket`,
  });
  await storage.close();
  const kim = listen('kim');
  try {
    await kim.seen('ready', (event) => event.type === 'ready');
    await kim.seen('online', connection('online'));

    // 1. Prosody restarts.
    let mark = kim.events.length;
    await suite.server.restart();
    await kim.seen('offline after the restart', connection('offline'), mark);
    await kim.seen('online again', connection('online'), mark);
    await ok('lou', 'send', 'kim@localhost', 'after the restart');
    await kim.seen('a live message after the restart', message('after the restart'));

    // 2. Prosody is down for a while: attempts fail, and the listener keeps trying.
    mark = kim.events.length;
    await suite.server.halt({ kill: true });
    await kim.seen('offline', connection('offline'), mark);
    await kim.seen('a retry', connection('reconnecting'), mark);
    const retried = kim.events.length;
    await kim.seen('another retry', connection('reconnecting'), retried);
    // A text written meanwhile goes through the listener, waits in its outbox, and leaves with it.
    const queued = await hush(['--profile', 'kim', 'send', 'lou@localhost', 'queued by the owner']);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout, /^Queued for lou@localhost\.$/m);
    await suite.server.start();
    await kim.seen('online after the outage', connection('online'), mark);
    await until(async () => (await outbox('kim')) === 0, "kim's outbox to empty");
    assert.match((await ok('lou', 'history', 'kim@localhost')).stdout, /queued by the owner/);
    await ok('lou', 'send', 'kim@localhost', 'after the outage');
    await kim.seen('a live message after the outage', message('after the outage'));

    // 3. The network drops and refuses connections for a while.
    mark = kim.events.length;
    proxy.refuse(true);
    proxy.cut();
    await kim.seen('offline when the network drops', connection('offline'), mark);
    await ok('lou', 'send', 'kim@localhost', 'while kim was cut off');
    await kim.seen('a retry', connection('reconnecting'), mark);
    proxy.refuse(false);
    await kim.seen('online after the network is back', connection('online'), mark);
    await kim.seen('what came while cut off', message('while kim was cut off'));
    await ok('lou', 'send', 'kim@localhost', 'after the network came back');
    await kim.seen('a live message after the cut', message('after the network came back'));
  } finally {
    assert.equal(await kim.stop(), 0, kim.stderr());
    await proxy.close();
  }
});
