// XEP-0401 Ad-hoc Account Invitation Management — https://xmpp.org/extensions/xep-0401.html
// XEP-0379 Pre-Authenticated Roster Subscription — https://xmpp.org/extensions/xep-0379.html
// Invite URIs follow RFC 5122 (xmpp: URIs) and XEP-0147 query actions:
//   xmpp:example.org?register;preauth=TOKEN               an account invite
//   xmpp:alice@example.org?roster;preauth=TOKEN;ibr=y     a contact invite that also allows sign-up
import { HushError } from '../errors.ts';

export interface Invite {
  /** The server the invite is for. */
  readonly domain: string;
  /** Set for a contact invite: the person who invited. */
  readonly inviter?: string;
  /** A username the invite is restricted to, when the server issued it for one. */
  readonly username?: string;
  readonly token: string;
  /** Whether the token lets its holder create an account. */
  readonly allowsRegistration: boolean;
}

const TOKEN = /^[A-Za-z0-9_-]{4,128}$/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function parseInvite(uri: string): Invite {
  const malformed = (why: string) => new HushError('InviteMalformed', `Not a valid invite: ${why}`);
  const match = /^xmpp:([^?#]+)\?([^#]*)$/i.exec(uri.trim());
  if (!match) throw malformed('expected an xmpp: link with a query');
  const [, address = '', query = ''] = match;
  const [action, ...pairs] = query.split(';');
  const params = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      params.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
    } catch {
      throw malformed('bad escape in the link');
    }
  }
  const token = params.get('preauth');
  if (token === undefined) throw malformed('no preauth token');
  if (!TOKEN.test(token)) throw malformed('the token has unexpected characters');

  let local: string | undefined;
  let domain: string;
  try {
    const decoded = decodeURIComponent(address);
    const at = decoded.lastIndexOf('@');
    local = at >= 0 ? decoded.slice(0, at) : undefined;
    domain = (at >= 0 ? decoded.slice(at + 1) : decoded).toLowerCase();
  } catch {
    throw malformed('bad escape in the address');
  }
  if (!DOMAIN.test(domain)) throw malformed(`'${domain}' is not a domain name`);

  if (action === 'register') {
    return { domain, token, allowsRegistration: true, ...(local ? { username: local } : {}) };
  }
  if (action === 'roster') {
    if (!local) throw malformed('a contact invite names a person');
    return {
      domain,
      token,
      inviter: `${local}@${domain}`,
      allowsRegistration: params.get('ibr') === 'y',
    };
  }
  throw malformed(`unknown action '${action ?? ''}'`);
}
