// XEP-0357 Push Notifications — https://xmpp.org/extensions/xep-0357.html
// The stanzas a device sends: enable and disable (§5, §6) to its own server, and Hush's register and
// unregister to the push gateway (packages/push-gateway/src/protocol.ts describes that exchange).
import xml, { type Element } from '@xmpp/xml';
import type { PushRegistration, PushTarget } from './types.ts';

export const NS_PUSH = 'urn:xmpp:push:0';
export const NS_HUSH_PUSH = 'urn:hush:push:0';
const NS_DATA = 'jabber:x:data';
const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';

const field = (name: string, value: string) => xml('field', { var: name }, xml('value', {}, value));

/** §5: the server publishes to `node` at the gateway, with the secret in publish-options. */
export function buildEnable(registration: PushRegistration): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'enable',
      { xmlns: NS_PUSH, jid: registration.gateway, node: registration.node },
      xml(
        'x',
        { xmlns: NS_DATA, type: 'submit' },
        field('FORM_TYPE', PUBLISH_OPTIONS),
        field('secret', registration.secret),
      ),
    ),
  );
}

/** §6: stop publishing to this node. */
export function buildDisable(registration: Pick<PushRegistration, 'gateway' | 'node'>): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml('disable', { xmlns: NS_PUSH, jid: registration.gateway, node: registration.node }),
  );
}

export function buildRegister(gateway: string, target: PushTarget): Element {
  return xml(
    'iq',
    { type: 'set', to: gateway },
    xml(
      'register',
      { xmlns: NS_HUSH_PUSH, provider: target.provider },
      xml('endpoint', {}, target.endpoint),
      target.keys ? xml('keys', { p256dh: target.keys.p256dh, auth: target.keys.auth }) : null,
      target.words ? xml('words', { title: target.words.title, body: target.words.body }) : null,
    ),
  );
}

export function buildUnregister(registration: PushRegistration): Element {
  return xml(
    'iq',
    { type: 'set', to: registration.gateway },
    xml('unregister', {
      xmlns: NS_HUSH_PUSH,
      node: registration.node,
      secret: registration.secret,
    }),
  );
}

export function buildInfoRequest(gateway: string): Element {
  return xml('iq', { type: 'get', to: gateway }, xml('info', { xmlns: NS_HUSH_PUSH }));
}
