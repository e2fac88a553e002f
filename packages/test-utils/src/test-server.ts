// The server the integration tests start: Prosody, or with HUSH_TEST_SERVER=ejabberd one ejabberd
// node in its place, behind the same ProsodyServer shape, so the core's tests say what holds on
// ejabberd too. The same render.sh settings go to either (ejabberd's takes Prosody's names and
// leaves out those it has no use for). What ejabberd does not have fails where a test asks for it:
// invites (XEP-0401), prosodyctl, push (XEP-0357 through mod_cloud_notify) and S3 uploads.
import { startEjabberd } from './ejabberd.ts';
import {
  startProsody as startProsodyItself,
  type ProsodyOptions,
  type ProsodyServer,
} from './prosody.ts';

/** 'ejabberd' when HUSH_TEST_SERVER says so, else 'prosody'. */
export function testServerKind(): 'prosody' | 'ejabberd' {
  return process.env.HUSH_TEST_SERVER === 'ejabberd' ? 'ejabberd' : 'prosody';
}

export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  if (testServerKind() === 'prosody') return startProsodyItself(options);
  if (options.push || options.upload === 's3')
    throw new Error(`HUSH_TEST_SERVER=ejabberd: no ${options.push ? 'push' : 'S3 uploads'} there`);
  const server = await startEjabberd({
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.keep !== undefined ? { keep: options.keep } : {}),
  });
  const missing = (what: string) => () =>
    Promise.reject(new Error(`HUSH_TEST_SERVER=ejabberd: ejabberd has no ${what}`));
  return {
    domain: server.domain,
    dir: server.dir,
    dataDir: server.dataDir,
    logDir: server.logDir,
    configFile: server.configFile,
    caCert: server.caCert,
    caFile: server.caFile,
    ports: { ...server.ports, component: 0 },
    websocketUrl: server.websocketUrl,
    httpsUrl: server.httpsUrl,
    uploads: undefined,
    prosodyctl: missing('prosodyctl'),
    createInvite: missing('invites (XEP-0401)'),
    createAccount: (username, password) => server.createAccount(username, password),
    readLogs: () => server.readLogs(),
    restart: (how) => server.restart(how),
    halt: (how) => server.halt(how),
    start: () => server.start(),
    stop: () => server.stop(),
  };
}
