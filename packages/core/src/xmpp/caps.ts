// XEP-0115 Entity Capabilities — https://xmpp.org/extensions/xep-0115.html
// XEP-0030 Service Discovery — https://xmpp.org/extensions/xep-0030.html
// What this client supports, announced in presence as a hash and answered to disco#info. PEP only
// pushes a node's updates to clients whose features include `<node>+notify` (XEP-0163 §4): OMEMO
// device lists change without anyone asking only for clients that announce it.
import xml, { type Element } from '@xmpp/xml';
import { sha1 } from '@noble/hashes/legacy.js';
import type { XmppSession } from './session.ts';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const CAPS_NODE = 'https://hush.chat/caps';

export interface ClientIdentity {
  readonly category: string;
  readonly type: string;
  readonly name: string;
}

const DEFAULT_IDENTITY: ClientIdentity = { category: 'client', type: 'pc', name: 'Hush' };

/** The XEP-0115 §5.1 verification string's SHA-1, base64 (identities and features sorted). */
export function capsHash(identity: ClientIdentity, features: readonly string[]): string {
  const sorted = [...new Set(features)].sort();
  const input = `${identity.category}/${identity.type}//${identity.name}<${sorted.map((f) => `${f}<`).join('')}`;
  const digest = sha1(new TextEncoder().encode(input));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Answers disco#info for this client (plain and at its caps node) and returns the <c/> element to put
 * in every presence. Call once per session, before the first presence.
 */
export function advertiseCapabilities(
  session: XmppSession,
  features: readonly string[],
  identity: ClientIdentity = DEFAULT_IDENTITY,
): Element {
  const all = [...new Set([NS_DISCO_INFO, NS_CAPS, ...features])].sort();
  const ver = capsHash(identity, all);
  session.client.iqCallee.get(NS_DISCO_INFO, 'query', (context) => {
    const node = context.element.attrs.node;
    if (node !== undefined && node !== `${CAPS_NODE}#${ver}`) {
      return xml(
        'error',
        { type: 'cancel' },
        xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
      );
    }
    return xml(
      'query',
      node === undefined ? { xmlns: NS_DISCO_INFO } : { xmlns: NS_DISCO_INFO, node },
      xml('identity', { category: identity.category, type: identity.type, name: identity.name }),
      ...all.map((feature) => xml('feature', { var: feature })),
    );
  });
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver });
}
