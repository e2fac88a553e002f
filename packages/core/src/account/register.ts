// XEP-0077 In-Band Registration — https://xmpp.org/extensions/xep-0077.html
// XEP-0401 Ad-hoc Account Invitation Management (preauth, urn:xmpp:pars:0) — https://xmpp.org/extensions/xep-0401.html
import xml from '@xmpp/xml';
import type { IqCaller, XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { openSession, splitJid, type XmppSession } from '../xmpp/session.ts';
import { parseInvite } from './invite.ts';

export const NS_REGISTER = 'jabber:iq:register';
export const NS_PREAUTH = 'urn:xmpp:pars:0';

export interface RegisterOptions {
  /** wss://, xmpps:// or xmpp:// service of the invite's server. */
  readonly service: string;
  /** The invite link (xmpp:domain?register;preauth=TOKEN). */
  readonly invite: string;
  readonly username: string;
  readonly password: string;
  readonly resource?: string;
}

function registrationError(error: unknown, stage: 'preauth' | 'register'): HushError {
  if (error instanceof HushError) return error;
  const { condition, text } = (error ?? {}) as XmppError;
  switch (condition) {
    case 'forbidden':
    case 'item-not-found':
      return stage === 'preauth'
        ? new HushError('InviteInvalid', 'This invite has already been used or has expired.', {
            cause: error,
          })
        : new HushError('RegistrationClosed', 'The server refused the sign-up.', { cause: error });
    case 'not-acceptable':
    case 'not-allowed':
      return new HushError(
        'RegistrationClosed',
        `Sign-up needs a valid invite${text ? ` (${text})` : ''}.`,
        {
          cause: error,
        },
      );
    case 'conflict':
      return new HushError('UsernameTaken', 'That name is taken on this server.', { cause: error });
    case 'jid-malformed':
    case 'bad-request':
      return new HushError('InvalidUsername', 'That name cannot be used as an address.', {
        cause: error,
      });
    default:
      return new HushError('ProtocolError', `Sign-up failed: ${condition ?? String(error)}`, {
        cause: error,
      });
  }
}

/** Proves the invite (XEP-0401) and creates the account (XEP-0077) on an unauthenticated stream. */
export async function registerOnStream(
  iq: IqCaller,
  account: { token?: string; username: string; password: string },
): Promise<void> {
  if (account.token !== undefined) {
    try {
      await iq.request(
        xml('iq', { type: 'set' }, xml('preauth', { xmlns: NS_PREAUTH, token: account.token })),
      );
    } catch (error) {
      throw registrationError(error, 'preauth');
    }
  }
  try {
    await iq.request(
      xml(
        'iq',
        { type: 'set' },
        xml(
          'query',
          { xmlns: NS_REGISTER },
          xml('username', {}, account.username),
          xml('password', {}, account.password),
        ),
      ),
    );
  } catch (error) {
    throw registrationError(error, 'register');
  }
}

/** Creates an account with an invite and returns the logged-in session. */
export async function registerAccount(options: RegisterOptions): Promise<XmppSession> {
  const invite = parseInvite(options.invite);
  if (!invite.allowsRegistration) {
    throw new HushError('InviteInvalid', 'This invite does not allow creating an account.');
  }
  if (invite.username !== undefined && invite.username !== options.username) {
    throw new HushError('InvalidUsername', `This invite is for the name '${invite.username}'.`);
  }
  const jid = `${options.username}@${invite.domain}`;
  splitJid(jid);
  let registered = false;
  return openSession({
    service: options.service,
    jid,
    password: options.password,
    ...(options.resource ? { resource: options.resource } : {}),
    // Only the first stream signs up: the invite is single-use, so a reconnection that redeemed it
    // again would be refused and the new account could never come back online.
    beforeAuthenticate: async (iq) => {
      if (registered) return;
      await registerOnStream(iq, {
        token: invite.token,
        username: options.username,
        password: options.password,
      });
      registered = true;
    },
  });
}
