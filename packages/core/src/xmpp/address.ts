// Addresses a session is given: the account's JID and the server's service URL, checked before
// anything is sent. Both are the person's input (or configuration), never the server's answer.
import { HushError } from '../errors.ts';

export function splitJid(jid: string): { local: string; domain: string } {
  const at = jid.indexOf('@');
  const local = jid.slice(0, at);
  const domain = jid.slice(at + 1);
  if (at <= 0 || domain === '' || domain.includes('/') || domain.includes('@')) {
    throw new HushError('InvalidUsername', `'${jid}' is not an address of the form name@server`);
  }
  return { local, domain };
}

/** Throws unless `service` is a transport Hush encrypts: wss://, xmpps:// or xmpp:// (STARTTLS). */
export function assertEncryptedService(service: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(service)?.[1]?.toLowerCase();
  if (scheme === 'wss' || scheme === 'xmpps' || scheme === 'xmpp') return;
  if (scheme === 'ws' || scheme === 'http') {
    throw new HushError(
      'EncryptionRequired',
      `'${service}' is not encrypted: use wss://, xmpps:// or xmpp:// (STARTTLS).`,
    );
  }
  // Like a server name that cannot be one (endpoints.ts): the input is refused, not the server.
  throw new HushError(
    'InvalidUsername',
    `'${service}' is not a server address: use wss://host/xmpp-websocket, xmpps://host:5223 or xmpp://host:5222.`,
  );
}
