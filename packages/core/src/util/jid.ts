/** user@domain/resource -> user@domain, compared case-insensitively as JIDs are. */
export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash >= 0 ? jid.slice(0, slash) : jid).toLowerCase();
}
