// The gateway's settings (environment variables) and the state it keeps in one folder: the
// registrations (registrations.sqlite), the VAPID key pair (vapid.json) and the component secret
// (secret), the last two made once, at install, by `hush-push-gateway init`.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROVIDERS, type Provider } from './protocol.ts';
import { generateVapidKeys } from './providers/web-push.ts';
import { isLogLevel, type LogLevel } from './log.ts';

export class ConfigError extends Error {
  readonly code = 'ConfigInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface GatewayConfig {
  readonly domain: string;
  readonly address: string;
  readonly service: string;
  readonly stateDir: string;
  readonly providers: readonly Provider[];
  readonly vapidSubject: string;
  readonly expoUrl: string | undefined;
  readonly expoAccessToken: string | undefined;
  readonly logLevel: LogLevel;
  readonly allowPrivateEndpoints: boolean;
}

export const USAGE = `hush-push-gateway: the Hush push gateway (XEP-0357 app server)

  hush-push-gateway init     make the state folder, its VAPID keys and component secret (kept
                             if present); prints the VAPID public key
  hush-push-gateway run      connect to the server and send wake-ups (the default)

Environment:
  HUSH_PUSH_DOMAIN          the XMPP domain (required)
  HUSH_PUSH_ADDRESS         the component's address              default push.DOMAIN
  HUSH_PUSH_SERVICE         where the server accepts components  default xmpp://127.0.0.1:5347
  HUSH_PUSH_STATE_DIR       registrations, VAPID keys, secret    default /var/lib/hush-push
  HUSH_PUSH_PROVIDERS       expo,webpush,unifiedpush (any of)    default all three
  HUSH_PUSH_VAPID_SUBJECT   contact for push services (RFC 8292) default mailto:postmaster@DOMAIN
  HUSH_PUSH_EXPO_URL        the Expo push service                default https://exp.host
  HUSH_PUSH_EXPO_ACCESS_TOKEN  an Expo access token, when the project requires one
  HUSH_PUSH_LOG_LEVEL       debug|info|warn|error                default info
  HUSH_PUSH_ALLOW_PRIVATE_ENDPOINTS  true: also send to push services on this machine or a
                            private network (a UnifiedPush server on the LAN)   default false
`;

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function readConfig(env: Record<string, string | undefined>): GatewayConfig {
  const domain = (env.HUSH_PUSH_DOMAIN ?? '').toLowerCase();
  if (!DOMAIN.test(domain)) throw new ConfigError('HUSH_PUSH_DOMAIN must be the XMPP domain');
  const address = env.HUSH_PUSH_ADDRESS ?? `push.${domain}`;
  if (!DOMAIN.test(address)) throw new ConfigError('HUSH_PUSH_ADDRESS must be a domain name');
  const service = env.HUSH_PUSH_SERVICE ?? 'xmpp://127.0.0.1:5347';
  if (!/^xmpp:\/\/[^/]+:\d+$/.test(service))
    throw new ConfigError('HUSH_PUSH_SERVICE must look like xmpp://HOST:PORT');
  const providers = (env.HUSH_PUSH_PROVIDERS ?? PROVIDERS.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of providers)
    if (!PROVIDERS.includes(name as Provider))
      throw new ConfigError(`HUSH_PUSH_PROVIDERS: unknown provider '${name}'`);
  const vapidSubject = env.HUSH_PUSH_VAPID_SUBJECT ?? `mailto:postmaster@${domain}`;
  if (!/^(mailto:\S+@\S+|https:\/\/\S+)$/.test(vapidSubject))
    throw new ConfigError('HUSH_PUSH_VAPID_SUBJECT must be a mailto: or https: address');
  const expoUrl = env.HUSH_PUSH_EXPO_URL;
  if (expoUrl !== undefined && !/^https:\/\/\S+$/.test(expoUrl))
    throw new ConfigError('HUSH_PUSH_EXPO_URL must be an https URL');
  const logLevel = env.HUSH_PUSH_LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel))
    throw new ConfigError('HUSH_PUSH_LOG_LEVEL must be debug, info, warn or error');
  return {
    domain,
    address,
    service,
    stateDir: env.HUSH_PUSH_STATE_DIR ?? '/var/lib/hush-push',
    providers: providers as Provider[],
    vapidSubject,
    expoUrl,
    expoAccessToken: env.HUSH_PUSH_EXPO_ACCESS_TOKEN || undefined,
    logLevel,
    allowPrivateEndpoints: env.HUSH_PUSH_ALLOW_PRIVATE_ENDPOINTS === 'true',
  };
}

export interface GatewayState {
  readonly secret: string;
  readonly vapid: { readonly publicKey: string; readonly privateKey: string };
  readonly databaseFile: string;
}

/** Writes `text` to `file` so that a crash leaves the old file or the new one, never half of one. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

async function readOrMake(file: string, make: () => string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const value = make();
    await writeAtomically(file, `${value}\n`);
    return value;
  }
}

/** Opens (making what is missing) the state folder: secret, VAPID keys and the database's path. */
export async function openState(stateDir: string): Promise<GatewayState> {
  // Made private; an existing folder keeps its modes (the compose deployment lets the server's
  // container read the secret).
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const secret = await readOrMake(join(stateDir, 'secret'), () =>
    randomBytes(32).toString('base64url'),
  );
  const vapidText = await readOrMake(join(stateDir, 'vapid.json'), () =>
    JSON.stringify(generateVapidKeys()),
  );
  let vapid: GatewayState['vapid'];
  try {
    vapid = JSON.parse(vapidText) as GatewayState['vapid'];
  } catch {
    throw new ConfigError(`${join(stateDir, 'vapid.json')} is not JSON`);
  }
  if (typeof vapid.publicKey !== 'string' || typeof vapid.privateKey !== 'string')
    throw new ConfigError(`${join(stateDir, 'vapid.json')} lacks publicKey and privateKey`);
  if (!/^[A-Za-z0-9_-]{32,}$/.test(secret))
    throw new ConfigError(
      `${join(stateDir, 'secret')} must hold 32 or more letters, digits, - or _`,
    );
  return { secret, vapid, databaseFile: join(stateDir, 'registrations.sqlite') };
}
