// Throwaway ejabberd nodes for integration tests, rendered from the production template
// (server/ejabberd/ejabberd.yml via its render.sh) with their own CA, Mnesia folders and free loopback
// ports: one node, or a cluster of several joined with `join_cluster`.
//
// The Erlang VM is started directly (`erl ... -s ejabberd`), not through ejabberdctl: as root,
// ejabberdctl re-runs everything as the `ejabberd` user through su, which cannot enter the private
// folders the tests make, and a node started that way is not this process's child (a SIGKILL would
// hit su, not the node). Each cluster has its own Erlang cookie and its own epmd on a free port (so
// node names never meet those of another run), stopped with the cluster. Admin commands go through
// ejabberd_ctl, as ejabberdctl does: a short-lived hidden node that calls the running one.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, writeFile, rm, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect as tlsConnect } from 'node:tls';
import { freePorts, waitForPort } from './ports.ts';
import { repoRoot } from './paths.ts';
import { until } from './until.ts';
import { makeCertificates } from './prosody.ts';

const run = promisify(execFile);

/** Where Debian's package puts ejabberd and its dependencies (ERL_LIBS). */
const ERL_LIBS = '/usr/lib/x86_64-linux-gnu';
const DOMAIN = 'localhost';

export interface EjabberdOptions {
  /** Extra render.sh settings (NAME=VALUE), e.g. { UPLOAD_LIMIT: '1000' }. Production defaults otherwise. */
  settings?: Record<string, string>;
  /** Keep the folders after stop() for inspection. */
  keep?: boolean;
}

export interface EjabberdNode {
  readonly domain: string;
  /** The Erlang node name, e.g. hush1@localhost. */
  readonly nodeName: string;
  readonly dir: string;
  /** This node's Mnesia folder. */
  readonly dataDir: string;
  readonly logDir: string;
  /** The upload folder, shared by every node of the cluster. */
  readonly uploadDir: string;
  readonly configFile: string;
  /** PEM of the CA that signed the server certificate: clients trust this and nothing else extra. */
  readonly caCert: string;
  readonly caFile: string;
  readonly ports: { readonly c2s: number; readonly c2sTls: number; readonly https: number };
  /** wss://localhost:PORT/xmpp-websocket */
  readonly websocketUrl: string;
  /** xmpps://localhost:PORT (direct TLS) */
  readonly directTlsUrl: string;
  /** xmpp://localhost:PORT (STARTTLS) */
  readonly startTlsUrl: string;
  readonly httpsUrl: string;
  /**
   * A command line that works as ejabberdctl for this node (words without spaces), for scripts that
   * take their ejabberdctl as an argument.
   */
  readonly ctlCommand: string;
  /** Runs an ejabberdctl command (ejabberd_ctl) against this node; rejects unless it succeeds. */
  ctl(...args: string[]): Promise<string>;
  createAccount(username: string, password: string): Promise<string>;
  /** All log text so far. */
  readLogs(): Promise<string>;
  /** Stops the node (SIGTERM, or SIGKILL with `{ kill: true }`, as a crash would), keeping its data. */
  halt(options?: { kill?: boolean }): Promise<void>;
  /** Starts a halted node on the same ports and data; a cluster member rejoins by itself. */
  start(): Promise<void>;
  restart(options?: { kill?: boolean }): Promise<void>;
  /**
   * Stops the node's VM (SIGSTOP) without closing anything, as a machine that vanished or a cut
   * network: its sockets stay open and nothing answers on them. `thaw()` lets it run on.
   */
  freeze(): void;
  thaw(): void;
  running(): boolean;
}

export interface EjabberdServer extends EjabberdNode {
  /** Stops the node and removes its folders (unless kept). */
  stop(): Promise<void>;
}

export interface EjabberdCluster {
  readonly nodes: readonly EjabberdNode[];
  readonly caCert: string;
  /** The running nodes of the cluster as `node` (default the first) sees them (list_cluster). */
  members(node?: EjabberdNode): Promise<string[]>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

class PortTaken extends Error {}

/** What every node of one cluster shares. */
interface Shared {
  readonly dir: string;
  readonly certDir: string;
  readonly uploadDir: string;
  readonly cookie: string;
  readonly epmdPort: number;
  readonly tag: string;
  readonly settings: Record<string, string>;
  /**
   * The rendered config's net_ticktime. ejabberd sets it once it runs, and Erlang moves to a new
   * tick time over a transition as long as the old one (60 s): every VM of the cluster, ejabberdctl's
   * included, starts with it instead.
   */
  readonly ticktime: string;
}

function erlEnv(shared: Shared, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ERL_LIBS,
    ERL_EPMD_PORT: String(shared.epmdPort),
    // The cluster's epmd answers on loopback only.
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ...extra,
  };
}

async function prepare(options: EjabberdOptions): Promise<Shared> {
  const installed = (await readdir(ERL_LIBS).catch(() => [] as string[])).some((name) =>
    name.startsWith('ejabberd-'),
  );
  if (!installed) {
    throw new Error(
      'ejabberd is not installed: apt-get install -t bookworm-backports ejabberd (Debian 12; Debian 13 has it in main)',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'hush-ejabberd-'));
  const certDir = join(dir, 'certs');
  const uploadDir = join(dir, 'upload');
  await mkdir(uploadDir);
  await makeCertificates(certDir, DOMAIN);
  // ejabberd checks the chain it is given: the leaf and its CA, in one file.
  const chain =
    readFileSync(join(certDir, `${DOMAIN}.crt`), 'utf8') +
    readFileSync(join(certDir, 'ca.crt'), 'utf8');
  await writeFile(join(certDir, 'chain.crt'), chain);
  const [epmdPort] = (await freePorts(1)) as [number];
  const settings = options.settings ?? {};
  const rendered = await run(join(repoRoot, 'server/ejabberd/render.sh'), [
    `DOMAIN=${DOMAIN}`,
    ...Object.entries(settings).map(([name, value]) => `${name}=${value}`),
  ]);
  return {
    dir,
    certDir,
    uploadDir,
    cookie: randomBytes(16).toString('hex'),
    epmdPort,
    tag: randomBytes(3).toString('hex'),
    settings,
    ticktime: /^net_ticktime: (\d+)$/m.exec(rendered.stdout)?.[1] ?? '60',
  };
}

/** The command line of an ejabberdctl call to `nodeName` (what ejabberdctl runs, minus su). */
function ctlArgv(shared: Shared, nodeName: string): string[] {
  return [
    'env',
    `ERL_LIBS=${ERL_LIBS}`,
    `ERL_EPMD_PORT=${shared.epmdPort}`,
    'ERL_EPMD_ADDRESS=127.0.0.1',
    'erl',
    '-sname',
    'undefined',
    '-setcookie',
    shared.cookie,
    '-hidden',
    '-kernel',
    'net_ticktime',
    shared.ticktime,
    '-noinput',
    '-eval',
    `net_kernel:connect_node('${nodeName}')`,
    '-s',
    'ejabberd_ctl',
    '-extra',
    nodeName,
  ];
}

async function ctlOn(shared: Shared, nodeName: string, args: string[]): Promise<string> {
  const [command = 'env', ...prefix] = ctlArgv(shared, nodeName);
  try {
    const { stdout } = await run(command, [...prefix, ...args], {
      cwd: shared.dir,
      timeout: 60_000,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    throw new Error(
      `ejabberdctl ${args.join(' ')} on ${nodeName} failed (${failed.code}): ${failed.stdout ?? ''}${failed.stderr ?? ''}`,
      { cause: error },
    );
  }
}

async function makeNode(shared: Shared, index: number): Promise<EjabberdNode> {
  const nodeName = `hush${index}-${shared.tag}@localhost`;
  const dir = join(shared.dir, `node${index}`);
  const dataDir = join(dir, 'mnesia');
  const logDir = join(dir, 'log');
  await mkdir(dataDir, { recursive: true });
  await mkdir(logDir);
  // The archive in memory with a disk log (disc_copies) rather than ejabberd's default on-disk
  // table (disc_only, dets): a session runs its own archive queries and writes, and over dets a
  // loaded machine left cluster sessions unanswering for tens of seconds (a resumption "timed out
  // copying the session state"), holding and archiving late what they were routed. Production
  // keeps the archive in PostgreSQL. ejabberd 24.12 reads this file from the Mnesia directory but
  // applies it only to a table that already exists: a cluster's first node starts twice
  // (startEjabberdCluster), the others change theirs as they join; a single node keeps dets.
  await writeFile(join(dataDir, 'ejabberd.schema'), 'archive_msg:\n  storage_type: disc_copies\n');
  const configFile = join(dir, 'ejabberd.yml');
  const caFile = join(shared.certDir, 'ca.crt');
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let output = '';
  let ports = { c2s: 0, c2sTls: 0, https: 0 };

  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function launch(): Promise<void> {
    output = '';
    const started = spawn(
      'erl',
      [
        '-sname',
        nodeName,
        '-setcookie',
        shared.cookie,
        '-noshell',
        // Erlang distribution (how the nodes talk) on loopback only.
        '-kernel',
        'inet_dist_use_interface',
        '{127,0,0,1}',
        'net_ticktime',
        shared.ticktime,
        '+K',
        'true',
        '-mnesia',
        'dir',
        `"${dataDir}"`,
        '-s',
        'ejabberd',
        // Stops the node when its standard input closes: when this process ends in any way, even
        // one that skips its exit handlers (a crash, SIGKILL), no node is left behind.
        '-eval',
        "spawn(fun() -> W = fun Watch() -> case io:get_line('') of eof -> erlang:halt(1); {error, _} -> erlang:halt(1); _ -> Watch() end end, W() end)",
      ],
      {
        cwd: dir,
        env: erlEnv(shared, {
          EJABBERD_CONFIG_PATH: configFile,
          EJABBERD_LOG_PATH: join(logDir, 'ejabberd.log'),
        }),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    child = started;
    running.add(started);
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    exited = new Promise((resolve) => started.once('exit', resolve));
    started.once('exit', () => running.delete(started));
    const ready = await Promise.race([
      Promise.all(Object.values(ports).map((port) => waitForPort(port, 30_000))).then(() => true),
      exited.then(() => false),
    ]);
    if (!ready) {
      if (/eaddrinuse/i.test(output)) throw new PortTaken(`ejabberd could not open its ports`);
      throw new Error(`ejabberd did not start:\n${output}`);
    }
    // The listeners open before every module has its tables: wait until ejabberd says it runs.
    await until(
      () =>
        node.ctl('status').then(
          () => true,
          () => false,
        ),
      `${nodeName} to run`,
      30_000,
      100,
    );
  }

  const node: EjabberdNode = {
    domain: DOMAIN,
    nodeName,
    dir,
    dataDir,
    logDir,
    uploadDir: shared.uploadDir,
    configFile,
    caFile,
    caCert: readFileSync(caFile, 'utf8'),
    get ports() {
      return ports;
    },
    get websocketUrl() {
      return `wss://${DOMAIN}:${ports.https}/xmpp-websocket`;
    },
    get directTlsUrl() {
      return `xmpps://${DOMAIN}:${ports.c2sTls}`;
    },
    get startTlsUrl() {
      return `xmpp://${DOMAIN}:${ports.c2s}`;
    },
    get httpsUrl() {
      return `https://${DOMAIN}:${ports.https}/`;
    },
    ctlCommand: ctlArgv(shared, nodeName).join(' '),
    ctl: (...args: string[]) => ctlOn(shared, nodeName, args),
    async createAccount(username: string, password: string) {
      await node.ctl('register', username, DOMAIN, password);
      return `${username}@${DOMAIN}`;
    },
    async readLogs() {
      let text = '';
      for (const name of await readdir(logDir)) text += await readFile(join(logDir, name), 'utf8');
      return text;
    },
    running: alive,
    async halt(how = {}) {
      if (!alive()) return;
      child?.kill(how.kill === true ? 'SIGKILL' : 'SIGTERM');
      child?.kill('SIGCONT'); // a frozen node takes its SIGTERM once it runs
      const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async start() {
      if (!alive()) await launch();
    },
    // erl execs the VM, so the child is the VM itself.
    freeze: () => void (alive() && child?.kill('SIGSTOP')),
    thaw: () => void (alive() && child?.kill('SIGCONT')),
    async restart(how = {}) {
      await node.halt(how);
      await node.start();
    },
  };

  // Free ports are found by binding port 0; another process may take one before ejabberd binds it,
  // so a start that fails on its ports is retried with new ones.
  for (let attempt = 1; ; attempt++) {
    const [c2s, c2sTls, https] = (await freePorts(3)) as [number, number, number];
    ports = { c2s, c2sTls, https };
    await renderEjabberdConfig(
      {
        DOMAIN,
        INTERFACES: '127.0.0.1',
        C2S_PORT: String(c2s),
        C2S_TLS_PORT: String(c2sTls),
        HTTPS_PORT: String(https),
        CERT: join(shared.certDir, 'chain.crt'),
        KEY: join(shared.certDir, `${DOMAIN}.key`),
        UPLOAD_DIR: shared.uploadDir,
        ...shared.settings,
      },
      configFile,
    );
    try {
      await launch();
      return node;
    } catch (error) {
      if (attempt < 3 && error instanceof PortTaken) continue;
      throw error;
    }
  }
}

/** Renders the production ejabberd template with the given settings into `file`. */
export async function renderEjabberdConfig(
  settings: Record<string, string>,
  file: string,
): Promise<void> {
  const args = Object.entries(settings).map(([name, value]) => `${name}=${value}`);
  const { stdout } = await run(join(repoRoot, 'server/ejabberd/render.sh'), args);
  await writeFile(file, stdout);
}

async function cleanUp(shared: Shared, nodes: EjabberdNode[], keep: boolean): Promise<void> {
  await Promise.all(nodes.map((node) => node.halt()));
  // The epmd this cluster's first node started on its own port; nothing else uses that port.
  await run('epmd', ['-port', String(shared.epmdPort), '-kill']).catch(() => undefined);
  if (!keep) await rm(shared.dir, { recursive: true, force: true });
}

/**
 * Joins `node` to `first`'s cluster. join_cluster answers at once, then restarts ejabberd on the
 * joining node, which copies the cluster's tables: done when both list each other. A join asked of
 * a node still starting can come to nothing, so it waits for the node to say it runs, and asks again
 * if the join has not shown after a while.
 */
async function joinCluster(node: EjabberdNode, first: EjabberdNode): Promise<void> {
  for (const n of [first, node]) {
    await until(
      () =>
        n.ctl('status').then(
          () => true,
          () => false,
        ),
      `${n.nodeName} to run`,
      30_000,
      250,
    );
  }
  const joined = async () => {
    const lists = await Promise.all(
      [first, node].map((n) => listCluster(n).catch(() => [] as string[])),
    );
    return lists.every((names) => names.includes(first.nodeName) && names.includes(node.nodeName));
  };
  for (let attempt = 1; ; attempt++) {
    await node.ctl('join_cluster', first.nodeName).catch((error: unknown) => {
      if (attempt === 3) throw error;
    });
    try {
      await until(joined, `${node.nodeName} to join ${first.nodeName}`, 20_000, 250);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** Whether a direct-TLS stream to `node` gets its stream features (within 5 s). */
function opensStream(node: EjabberdNode): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: node.ports.c2sTls,
      servername: node.domain,
      ca: node.caCert,
    });
    let text = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 5000);
    socket.once('secureConnect', () =>
      socket.write(
        `<?xml version='1.0'?><stream:stream to='${node.domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('</stream:features>')) done(true);
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** The running nodes of `node`'s cluster, as it sees them. */
async function listCluster(node: EjabberdNode): Promise<string[]> {
  const out = await node.ctl('list_cluster');
  return out
    .split('\n')
    .map((line) => line.trim().replace(/^'|'$/g, ''))
    .filter((line) => line !== '');
}

/** One ejabberd node. */
export async function startEjabberd(options: EjabberdOptions = {}): Promise<EjabberdServer> {
  const shared = await prepare(options);
  let node: EjabberdNode;
  try {
    node = await makeNode(shared, 1);
  } catch (error) {
    await cleanUp(shared, [], false);
    throw error;
  }
  return {
    ...node,
    async stop() {
      await cleanUp(shared, [node], options.keep === true);
    },
  };
}

/**
 * `count` ejabberd nodes on this machine, distinct node names and ports, one Erlang cookie, one
 * upload folder: the first starts alone, each other one joins it with `join_cluster`.
 */
export async function startEjabberdCluster(
  count: number,
  options: EjabberdOptions = {},
): Promise<EjabberdCluster> {
  const shared = await prepare(options);
  const nodes: EjabberdNode[] = [];
  try {
    for (let index = 1; index <= count; index++) {
      const node = await makeNode(shared, index);
      nodes.push(node);
      if (index === 1) {
        await node.restart(); // its archive table as ejabberd.schema says (makeNode)
        continue;
      }
      const first = nodes[0] as EjabberdNode;
      await joinCluster(node, first);
      await Promise.all(Object.values(node.ports).map((port) => waitForPort(port, 30_000)));
      // Joining restarts ejabberd on the node after its ports first opened: a login in between is
      // reset. It serves once a stream opens, twice in a row.
      for (const n of [first, node])
        await until(
          async () => (await opensStream(n)) && opensStream(n),
          `${n.nodeName} to open streams after the join`,
          60_000,
          250,
        );
    }
  } catch (error) {
    await cleanUp(shared, nodes, false);
    throw error;
  }
  const first = nodes[0] as EjabberdNode;
  return {
    nodes,
    caCert: first.caCert,
    members: (node = first) => listCluster(node),
    async stop() {
      await cleanUp(shared, nodes, options.keep === true);
    },
  };
}
