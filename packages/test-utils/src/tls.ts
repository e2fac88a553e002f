import tls from 'node:tls';

/**
 * Makes this process trust `caPem` in addition to the system CAs, for every TLS connection it opens
 * (TCP and WebSocket alike). xmpp.js has no per-connection TLS options, so the trust is process-wide;
 * tests trust only their own throwaway CA this way and nothing ever turns verification off.
 */
export function trustCertificateAuthority(caPem: string): void {
  const current = tls.getCACertificates('default');
  if (current.includes(caPem)) return;
  tls.setDefaultCACertificates([...current, caPem]);
}
