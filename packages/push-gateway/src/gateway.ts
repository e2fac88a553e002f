// The Hush push gateway: the XEP-0357 App Server as an XMPP component of the user's own server.
// Devices register their push endpoint (protocol.ts), the server publishes a notification to the
// node when a message arrives for a device that is away, and the gateway turns it into a
// content-free wake-up through the device's push service.
import { component, xml, type Component, type Element, type IqContext } from '@xmpp/component';
import {
  BadRequest,
  NS_HUSH_PUSH,
  NS_PUBSUB,
  NS_PUSH,
  parsePublish,
  parseRegister,
  stanzaError,
  type Provider,
} from './protocol.ts';
import type { RegistrationStore } from './store.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import type { PushProvider } from './providers/types.ts';
import type { Logger } from './log.ts';
import { isPrivateEndpoint } from './endpoint-policy.ts';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

export interface GatewayOptions {
  /** The XMPP server's domain, e.g. chat.example.org: the only sender of publishes. */
  readonly domain: string;
  /** The component's own address; push.DOMAIN unless given. */
  readonly address?: string;
  /** Where the server accepts components, e.g. xmpp://127.0.0.1:5347. */
  readonly service: string;
  /** The component secret shared with the server. */
  readonly secret: string;
  readonly store: RegistrationStore;
  readonly providers: Partial<Record<Provider, PushProvider>>;
  /** Handed to browsers to subscribe with (their applicationServerKey). */
  readonly vapidPublicKey?: string;
  readonly rateLimit?: RateLimitOptions;
  /**
   * Endpoints on this machine or a private network are refused unless this is true (a push
   * service of one's own on the LAN; the tests' stand-in). endpoint-policy.ts says why.
   */
  readonly allowPrivateEndpoints?: boolean;
  readonly log: Logger;
}

export type GatewayEvent =
  | { readonly type: 'registered' | 'unregistered'; readonly provider: Provider }
  | {
      /**
       * woken: a wake-up went out; quiet: the server marked the notification not worth showing
       * (a receipt, a chat state); limited: a wake-up went out moments ago; gone: the endpoint no
       * longer exists and its registration was dropped; failed: the push service did not take it.
       */
      readonly type: 'woken' | 'quiet' | 'limited' | 'gone' | 'failed';
      readonly provider: Provider;
    }
  | { readonly type: 'refused'; readonly reason: string };

export interface Gateway {
  readonly address: string;
  subscribe(listener: (event: GatewayEvent) => void): () => void;
  /** Resolves once every notification received so far has been answered. */
  idle(): Promise<void>;
  /** Answers what is in flight, then disconnects. */
  stop(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { intervalMs: 10_000, perHour: 60 };

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { domain, store, log } = options;
  const address = options.address ?? `push.${domain}`;
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const listeners = new Set<(event: GatewayEvent) => void>();
  const emit = (event: GatewayEvent) => {
    for (const listener of listeners) listener(event);
  };
  const refuse = (reason: string, error: Element) => {
    log('debug', `refused: ${reason}`);
    emit({ type: 'refused', reason });
    return error;
  };

  const xmpp: Component = component({
    service: options.service,
    domain: address,
    password: options.secret,
  });
  keepSocketErrorsHandled(xmpp);
  xmpp.on('error', (error) => log('debug', `connection to the server: ${error.message}`));
  xmpp.on('online', () => log('info', `connected to ${domain} as ${address}`));
  xmpp.on('offline', () => log('info', 'disconnected from the server'));

  // Only the server itself publishes, and only accounts of its domain register.
  const fromServer = (ctx: IqContext) => ctx.from.toString() === domain;
  const fromAccount = (ctx: IqContext) => ctx.from.domain === domain && ctx.from.local !== '';

  xmpp.iqCallee.get(NS_DISCO_INFO, 'query', () =>
    xml(
      'query',
      { xmlns: NS_DISCO_INFO },
      xml('identity', { category: 'pubsub', type: 'push', name: 'Hush push gateway' }),
      xml('feature', { var: NS_PUSH }),
      xml('feature', { var: NS_HUSH_PUSH }),
    ),
  );

  xmpp.iqCallee.get(NS_HUSH_PUSH, 'info', () =>
    xml('info', {
      xmlns: NS_HUSH_PUSH,
      ...(options.vapidPublicKey ? { 'vapid-public-key': options.vapidPublicKey } : {}),
    }),
  );

  xmpp.iqCallee.set(NS_HUSH_PUSH, 'register', (ctx) => {
    if (!fromAccount(ctx))
      return refuse('registration from outside', stanzaError('auth', 'forbidden'));
    let request;
    try {
      request = parseRegister(ctx.element);
    } catch (error) {
      if (error instanceof BadRequest)
        return refuse(error.message, stanzaError('modify', error.condition, error.message));
      throw error;
    }
    if (
      request.provider !== 'expo' &&
      !options.allowPrivateEndpoints &&
      isPrivateEndpoint(request.endpoint)
    )
      return refuse(
        'endpoint on a private address',
        stanzaError('modify', 'not-acceptable', 'the endpoint must be a public push service'),
      );
    if (!options.providers[request.provider])
      return refuse(
        `provider ${request.provider} not configured`,
        stanzaError(
          'cancel',
          'feature-not-implemented',
          `${request.provider} is not available here`,
        ),
      );
    const registration = store.register(request);
    log('info', `registered a ${request.provider} device (${store.count()} in all)`);
    log('debug', `node ${registration.node} registered for ${request.provider}`);
    emit({ type: 'registered', provider: request.provider });
    return xml('registered', {
      xmlns: NS_HUSH_PUSH,
      node: registration.node,
      secret: registration.secret,
    });
  });

  xmpp.iqCallee.set(NS_HUSH_PUSH, 'unregister', (ctx) => {
    if (!fromAccount(ctx))
      return refuse('unregistration from outside', stanzaError('auth', 'forbidden'));
    const node = ctx.element.attrs.node ?? '';
    const registration = store.authorize(node, ctx.element.attrs.secret);
    // Unknown and wrong-secret nodes get the same answer: a node's existence is no one's business.
    if (!registration)
      return refuse('unregister of an unknown node', stanzaError('cancel', 'item-not-found'));
    store.remove(node);
    limiter.forget(node);
    log('info', `unregistered a ${registration.provider} device`);
    emit({ type: 'unregistered', provider: registration.provider });
    return true;
  });

  // Notifications being handled: idle() and stop() wait for them.
  const inFlight = new Set<Promise<unknown>>();
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };
  const idle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };

  xmpp.iqCallee.set(NS_PUBSUB, 'pubsub', (ctx) => tracked(handlePublish(ctx)));

  async function handlePublish(ctx: IqContext): Promise<Element | true> {
    if (!fromServer(ctx)) return refuse('publish from outside', stanzaError('auth', 'forbidden'));
    let publish;
    try {
      publish = parsePublish(ctx.element);
    } catch (error) {
      if (error instanceof BadRequest)
        return refuse(error.message, stanzaError('modify', error.condition, error.message));
      throw error;
    }
    const registration = store.authorize(publish.node, publish.secret);
    // XEP-0357 §8: the server counts errors and stops publishing to a node that keeps failing.
    if (!registration)
      return refuse('publish to an unknown node', stanzaError('cancel', 'item-not-found'));
    const { provider } = registration;
    if (!publish.important) {
      emit({ type: 'quiet', provider });
      return true;
    }
    if (!limiter.take(registration.node)) {
      log('debug', `node ${registration.node}: woken moments ago`);
      emit({ type: 'limited', provider });
      return true;
    }
    const push = options.providers[provider];
    const delivery = push
      ? await push.wake(registration)
      : ({ ok: false, gone: false, reason: `${provider} is not configured` } as const);
    if (delivery.ok) {
      log('debug', `node ${registration.node}: woken through ${provider}`);
      emit({ type: 'woken', provider });
      return true;
    }
    if (delivery.gone) {
      store.remove(registration.node);
      limiter.forget(registration.node);
      log('info', `dropped a ${provider} device: its push service no longer knows it`);
      emit({ type: 'gone', provider });
      return stanzaError('cancel', 'item-not-found');
    }
    log('warn', `a ${provider} wake-up failed: ${delivery.reason}`);
    emit({ type: 'failed', provider });
    // 'wait': the server does not count it against the node; the next message tries again.
    return stanzaError('wait', 'remote-server-timeout');
  }

  try {
    await xmpp.start();
  } catch (error) {
    // Not reached: nothing may keep trying behind the caller's back.
    xmpp.reconnect.stop();
    await xmpp.stop().catch(() => undefined);
    throw error;
  }
  return {
    address,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    idle,
    async stop() {
      await idle();
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
      store.close();
    },
  };
}

/**
 * xmpp.js lets go of a socket it is done with (a refused login, a stop) without waiting for it to
 * close, and takes its error listener with it: a reset arriving later had no listener and ended the
 * process (the gateway keeps retrying while the server refuses it, so it makes many such sockets).
 * Every socket the connection takes on keeps one that ignores it.
 */
export function keepSocketErrorsHandled(xmpp: object): void {
  const connection = xmpp as {
    _attachSocket(socket: { on(event: 'error', listener: () => void): unknown }): void;
  };
  const attach = connection._attachSocket.bind(xmpp);
  connection._attachSocket = (socket) => {
    socket.on('error', () => undefined);
    attach(socket);
  };
}
