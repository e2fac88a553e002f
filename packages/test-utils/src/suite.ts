// The server a test file's tests share: started in before(), stopped in after(), with what every
// integration suite otherwise wrote out again around it (its CA trusted, its accounts, a scratch
// folder, and what the tests opened closed before the server goes).
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProsodyOptions, ProsodyServer } from './prosody.ts';
import { startProsody } from './test-server.ts';
import { trustCertificateAuthority } from './tls.ts';

export interface ServerSuiteOptions {
  server?: ProsodyOptions;
  /** Whether this process trusts the server's CA (WebSocket clients need it); true unless false. */
  trust?: boolean;
  /** Made with `password` once the server is up. */
  accounts?: readonly string[];
  password?: string | ((name: string) => string);
  /** A scratch folder under the system's temporary folder, named with this prefix. */
  scratch?: string;
  /**
   * Runs once the server is up, before the accounts are made (to put a proxy in front of it). Not a
   * before() hook of the file's own: node:test runs a file's top-level before() hooks at once, not
   * one after another.
   */
  started?: (server: ProsodyServer) => Promise<void>;
  /** Closes what the tests opened on the server (clients, sessions, peers) before it stops. */
  closeFirst?: () => Promise<unknown>;
}

export interface ServerSuite {
  /** The running server; read it in tests and hooks, not at the file's top level. */
  readonly server: ProsodyServer;
  /** The scratch folder, with the `scratch` option. */
  readonly scratch: string;
  /** Makes an account no other test uses, `name` and a number (alice1, bob2), returning its JID. */
  newAccount(name: string, password: string): Promise<string>;
}

/** Registers before() and after() hooks for one server shared by the test file's tests. */
export function serverSuite(options: ServerSuiteOptions = {}): ServerSuite {
  let server: ProsodyServer | undefined;
  let scratch: string | undefined;
  let accounts = 0;
  const { password = '' } = options;
  before(async () => {
    server = await startProsody(options.server);
    if (options.trust !== false) trustCertificateAuthority(server.caCert);
    if (options.scratch) scratch = await mkdtemp(join(tmpdir(), options.scratch));
    await options.started?.(server);
    for (const name of options.accounts ?? []) {
      await server.createAccount(name, typeof password === 'string' ? password : password(name));
    }
  });
  after(async () => {
    await options.closeFirst?.();
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return {
    get server() {
      if (!server) throw new Error('the suite server starts in before(): read it in a test');
      return server;
    },
    get scratch() {
      if (!scratch) throw new Error('no scratch folder: the suite was given no `scratch` prefix');
      return scratch;
    },
    async newAccount(name, password) {
      const username = `${name}${++accounts}`;
      await this.server.createAccount(username, password);
      return `${username}@localhost`;
    },
  };
}
