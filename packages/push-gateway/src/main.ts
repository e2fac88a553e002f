// The gateway's command line: `init` at install, `run` as the service.
import { openState, readConfig, ConfigError, USAGE } from './config.ts';
import { startGateway } from './gateway.ts';
import { RegistrationStore } from './store.ts';
import { createLogger } from './log.ts';
import type { Provider } from './protocol.ts';
import type { PushProvider } from './providers/types.ts';
import { expoProvider } from './providers/expo.ts';
import { unifiedPushProvider, webPushProvider } from './providers/web-push.ts';

export interface MainIo {
  readonly env: Record<string, string | undefined>;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Resolves when the service should stop (SIGTERM, SIGINT). */
  readonly stopped: Promise<void>;
}

export async function main(args: string[], io: MainIo): Promise<number> {
  const command = args[0] ?? 'run';
  if (command === '-h' || command === '--help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command !== 'init' && command !== 'run') {
    io.stderr(`hush-push-gateway: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  try {
    const config = readConfig(io.env);
    const state = await openState(config.stateDir);
    if (command === 'init') {
      io.stdout(state.vapid.publicKey);
      return 0;
    }
    const log = createLogger(config.logLevel, io.stderr);
    const vapid = { ...state.vapid, subject: config.vapidSubject };
    const providers: Partial<Record<Provider, PushProvider>> = {};
    for (const name of config.providers) {
      if (name === 'expo')
        providers.expo = await expoProvider({
          ...(config.expoUrl ? { baseUrl: config.expoUrl } : {}),
          ...(config.expoAccessToken ? { accessToken: config.expoAccessToken } : {}),
        });
      if (name === 'webpush') providers.webpush = webPushProvider(vapid);
      if (name === 'unifiedpush') providers.unifiedpush = unifiedPushProvider(vapid);
    }
    const store = new RegistrationStore(state.databaseFile);
    // The server may start after the gateway (or restart): keep trying, as the component itself
    // does once connected.
    let gateway;
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        gateway = await startGateway({
          domain: config.domain,
          address: config.address,
          service: config.service,
          secret: state.secret,
          store,
          providers,
          vapidPublicKey: vapid.publicKey,
          allowPrivateEndpoints: config.allowPrivateEndpoints,
          log,
        });
        break;
      } catch (error) {
        log('warn', `cannot reach the server at ${config.service}: ${(error as Error).message}`);
        const stop = await Promise.race([
          io.stopped.then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), delay)),
        ]);
        if (stop) {
          store.close();
          return 0;
        }
      }
    }
    log('info', `serving ${config.providers.join(', ')} for ${config.domain}`);
    await io.stopped;
    await gateway.stop();
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`hush-push-gateway: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
