// A throwaway Prosody for integration tests, rendered from the production template
// (server/prosody/prosody.cfg.lua via render.sh) with its own CA, data directory and free loopback
// ports. Every server started here is stopped when the test calls stop(), and, should a test crash
// before that, when the Node process exits.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm, mkdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts, waitForPort } from './ports.ts';
import { repoRoot } from './paths.ts';
import { startS3Uploads, type S3Uploads } from './s3.ts';

const run = promisify(execFile);

export interface ProsodyOptions {
  /** Extra render.sh settings (NAME=VALUE), e.g. { INVITE_EXPIRY: '1' }. Production defaults otherwise. */
  settings?: Record<string, string>;
  /** Keep the data directory after stop() for inspection. */
  keep?: boolean;
  /**
   * Where uploads go: 'disk' (default, mod_http_file_share) or 's3': a local S3 server and Hush's
   * upload service beside Prosody (UPLOAD_STORAGE=s3, s3.ts), stopped with it.
   */
  upload?: 'disk' | 's3';
  /**
   * Push notifications (XEP-0357, mod_cloud_notify), off otherwise. With a `gatewaySecret`, the
   * component `push.localhost` accepts a push gateway on `ports.component` with that secret.
   */
  push?: { readonly gatewaySecret?: string };
}

export interface ProsodyServer {
  readonly domain: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly configFile: string;
  /** PEM of the CA that signed the server certificate: clients trust this and nothing else extra. */
  readonly caCert: string;
  readonly caFile: string;
  readonly ports: {
    readonly c2s: number;
    readonly c2sTls: number;
    readonly https: number;
    /** Where components (the push gateway) connect; 0 without `push`. */
    readonly component: number;
  };
  /** wss://localhost:PORT/xmpp-websocket */
  readonly websocketUrl: string;
  readonly httpsUrl: string;
  /** The S3 server and upload service with `upload: 's3'`. */
  readonly uploads: S3Uploads | undefined;
  /** Runs prosodyctl against this server's configuration. */
  prosodyctl(...args: string[]): Promise<string>;
  /** A single-use registration invite as an xmpp: URI. */
  createInvite(): Promise<string>;
  createAccount(username: string, password: string): Promise<string>;
  /** All log text so far. */
  readLogs(): Promise<string>;
  /**
   * Stops the server (SIGTERM, or SIGKILL with `{ kill: true }`, as a crash would) and starts it again
   * on the same ports and data, resolving once it accepts connections again.
   */
  restart(options?: { kill?: boolean }): Promise<void>;
  /** Stops the server without removing anything; start() brings it back on the same ports. */
  halt(options?: { kill?: boolean }): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const DOMAIN = 'localhost';
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Renders the production template with the given settings into `file`. */
export async function renderConfig(settings: Record<string, string>, file: string): Promise<void> {
  const args = Object.entries(settings).map(([name, value]) => `${name}=${value}`);
  const { stdout } = await run(join(repoRoot, 'server/prosody/render.sh'), args);
  await writeFile(file, stdout);
}

/** Makes (or keeps) a local CA and a server certificate for `domain` in `dir`. */
export async function makeCertificates(dir: string, domain: string): Promise<void> {
  await run(join(repoRoot, 'server/deploy/local-ca.sh'), [dir, domain, 'IP:127.0.0.1', 'IP:::1']);
}

class PortTaken extends Error {}

interface Launched {
  running(): boolean;
  stop(kill: boolean): Promise<void>;
}

/**
 * Starts Prosody on `configFile` and resolves once all its ports accept connections and its admin
 * socket (`adminSocket`, which prosodyctl shell and so invites need) exists.
 */
async function launch(
  configFile: string,
  ports: number[],
  logFile: string,
  adminSocket: string,
): Promise<Launched> {
  // A server killed before left its socket behind: wait for the new one.
  await rm(adminSocket, { force: true });
  const child = spawn('prosody', ['--config', configFile, '-F'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.once('exit', () => running.delete(child));
  const socketReady = async () => {
    for (let i = 0; i < 500; i++) {
      if (
        await stat(adminSocket).then(
          () => true,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`Prosody's admin socket ${adminSocket} did not appear`);
  };
  const ready = await Promise.race([
    Promise.all([...ports.map((port) => waitForPort(port)), socketReady()]).then(() => true),
    exited.then(() => false),
  ]);
  if (!ready) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (/Failed to open server port|Address already in use/.test(log + output))
      throw new PortTaken(`Prosody could not open its ports:\n${output}\n${log}`);
    throw new Error(`Prosody did not start:\n${output}\n${log}`);
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    running: alive,
    async stop(kill) {
      if (!alive()) return;
      child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hush-prosody-'));
  const certDir = join(dir, 'certs');
  const dataDir = join(dir, 'data');
  const logDir = join(dir, 'log');
  await Promise.all([mkdir(dataDir), mkdir(logDir)]);
  await makeCertificates(certDir, DOMAIN);
  const configFile = join(dir, 'prosody.cfg.lua');
  const caFile = join(certDir, 'ca.crt');
  // Prosody 13's default: prosody.sock in the data directory.
  const adminSocket = join(dataDir, 'prosody.sock');
  // The push gateway's component secret, in a file as an install keeps it (0600, read at start).
  if (options.push?.gatewaySecret)
    await writeFile(join(dir, 'push-secret'), `${options.push.gatewaySecret}\n`, { mode: 0o600 });
  const uploads =
    options.upload === 's3'
      ? await startS3Uploads({
          dir: join(dir, 'uploads'),
          tls: {
            cert: join(certDir, `${DOMAIN}.crt`),
            key: join(certDir, `${DOMAIN}.key`),
            ca: caFile,
          },
          limit: options.settings?.UPLOAD_LIMIT ?? '10485760',
          expiry: options.settings?.UPLOAD_EXPIRY ?? '604800',
        })
      : undefined;

  // Free ports are found by binding port 0; another process may take one before Prosody binds it,
  // so a start that fails on its ports is retried with new ones.
  for (let attempt = 1; ; attempt++) {
    const [c2s, c2sTls, https, component = 0] = (await freePorts(options.push ? 4 : 3)) as [
      number,
      number,
      number,
      number?,
    ];
    const pushSettings: Record<string, string> = options.push
      ? {
          PUSH: 'true',
          PUSH_SECRET_FILE: options.push.gatewaySecret ? join(dir, 'push-secret') : '',
          COMPONENT_PORT: String(component),
          COMPONENT_INTERFACES: '127.0.0.1',
        }
      : { PUSH: 'false' };
    await renderConfig(
      {
        DOMAIN,
        DATA_DIR: dataDir,
        LOG_FILE: join(logDir, 'prosody.log'),
        PID_FILE: join(dir, 'prosody.pid'),
        CERT: join(certDir, `${DOMAIN}.crt`),
        KEY: join(certDir, `${DOMAIN}.key`),
        INTERFACES: '127.0.0.1',
        C2S_PORT: String(c2s),
        C2S_TLS_PORT: String(c2sTls),
        HTTPS_PORT: String(https),
        RUN_AS_ROOT: String(process.getuid?.() === 0),
        // Production offers SASL2, Bind 2 and FAST, and xmpp.js takes SASL2 whenever it is offered.
        // The core's login on that path (the server's signature verified before the session opens,
        // SCRAM keys) has tests of its own on a server that offers it; the rest of the suite runs
        // on plain SASL, whose frames several tests read. (Under SASL2 a session's `mechanism` is
        // still reported empty.)
        COMMUNITY_MODULES: 'false',
        // Every test client connects from loopback, which production would count as one address
        // with hundreds of connections and failed logins: a suite's wrong-password tests would block
        // it for everyone. The guard keeps working (short delays, same answers for every account);
        // server/prosody/hardening.test.ts sets the production limits where it tests them.
        AUTH_FAILURE_DELAY: '0.05',
        AUTH_ADDRESS_FAILURES: '1000',
        AUTH_ACCOUNT_FAILURES: '1000',
        CONNECTIONS_PER_ADDRESS: '1000',
        UNAUTHENTICATED_CONNECTIONS: '1000',
        ...pushSettings,
        ...uploads?.settings,
        ...options.settings,
      },
      configFile,
    );
    const listening = options.push?.gatewaySecret
      ? [c2s, c2sTls, https, component]
      : [c2s, c2sTls, https];
    let current: Launched;
    try {
      current = await launch(configFile, listening, join(logDir, 'prosody.log'), adminSocket);
    } catch (error) {
      if (attempt < 3 && error instanceof PortTaken) continue;
      await uploads?.stop();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }

    const server: ProsodyServer = {
      domain: DOMAIN,
      dir,
      dataDir,
      logDir,
      configFile,
      caFile,
      caCert: readFileSync(caFile, 'utf8'),
      ports: { c2s, c2sTls, https, component },
      websocketUrl: `wss://${DOMAIN}:${https}/xmpp-websocket`,
      httpsUrl: `https://${DOMAIN}:${https}/`,
      uploads,
      async prosodyctl(...args: string[]) {
        const { stdout } = await run('prosodyctl', ['--config', configFile, ...args]);
        return stdout;
      },
      async createInvite() {
        // Prosody 13 makes invites through its admin shell (the server must be running).
        const out = await server.prosodyctl('shell', 'invite', 'create_account', DOMAIN);
        const uri = /xmpp:\S+/.exec(out)?.[0];
        if (!uri) throw new Error(`prosodyctl printed no invite: ${out}`);
        return uri;
      },
      async createAccount(username: string, password: string) {
        await server.prosodyctl('register', username, DOMAIN, password);
        return `${username}@${DOMAIN}`;
      },
      async readLogs() {
        return readFile(join(logDir, 'prosody.log'), 'utf8');
      },
      async halt(how = {}) {
        await current.stop(how.kill === true);
      },
      async start() {
        if (current.running()) return;
        current = await launch(configFile, listening, join(logDir, 'prosody.log'), adminSocket);
      },
      async restart(how = {}) {
        await server.halt(how);
        await server.start();
      },
      async stop() {
        await current.stop(false);
        await uploads?.stop();
        if (!options.keep) await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  }
}
