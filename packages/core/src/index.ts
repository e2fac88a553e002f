export { HushError, isHushError } from './errors.ts';
export type { HushErrorCode } from './errors.ts';
export { openSession, splitJid, toHushError } from './xmpp/session.ts';
export type { SessionOptions, XmppSession } from './xmpp/session.ts';
export { parseInvite } from './account/invite.ts';
export type { Invite } from './account/invite.ts';
export { registerAccount, registerOnStream, NS_REGISTER, NS_PREAUTH } from './account/register.ts';
export type { RegisterOptions } from './account/register.ts';
