// What a person pastes or opens to join: an xmpp: invite URI (XEP-0401), or the https link of an
// invite page (Prosody's mod_invites_page: https://DOMAIN/invite?TOKEN; the web app served on the
// same domain answers that path too). Everything becomes the xmpp: URI core's parseInvite reads.
import { HushError, parseInvite, type Invite } from '@hush/core';

const TOKEN = /^[A-Za-z0-9_-]{4,128}$/;

/** The xmpp: invite URI inside `text`, or a HushError('InviteMalformed'). */
export function inviteUri(text: string): string {
  const input = text.trim();
  if (/^xmpp:/i.test(input)) return input;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new HushError('InviteMalformed', 'Not a valid invite: paste the whole link.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HushError('InviteMalformed', 'Not a valid invite: expected an xmpp: or https: link.');
  }
  // An invite page may carry the xmpp: URI itself, in the fragment or a query parameter.
  const embedded = [decodeURIComponent(url.hash.slice(1)), ...url.searchParams.values()].find((v) =>
    /^xmpp:/i.test(v),
  );
  if (embedded) return embedded;
  const preauth = url.searchParams.get('preauth');
  if (preauth && TOKEN.test(preauth)) return `xmpp:${url.hostname}?register;preauth=${preauth}`;
  // mod_invites_page: /invite?TOKEN (the token is the whole query).
  const bare = url.search.slice(1);
  if (/\/invite\/?$/.test(url.pathname) && TOKEN.test(bare)) {
    return `xmpp:${url.hostname}?register;preauth=${bare}`;
  }
  throw new HushError('InviteMalformed', 'Not a valid invite: this link holds no invite token.');
}

/** Parses any accepted form of invite link. */
export function readInvite(text: string): Invite & { readonly uri: string } {
  const uri = inviteUri(text);
  return { ...parseInvite(uri), uri };
}
