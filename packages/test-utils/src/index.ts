export { startProsody, renderConfig, makeCertificates } from './prosody.ts';
export type { ProsodyServer, ProsodyOptions } from './prosody.ts';
export { startTcpProxy } from './proxy.ts';
export type { TcpProxy } from './proxy.ts';
export { freePorts, waitForPort } from './ports.ts';
export { trustCertificateAuthority } from './tls.ts';
export { repoRoot } from './paths.ts';
export { startOmemoPeer, type OmemoPeer, type OmemoPeerEvent } from './omemo-peer.ts';
export { until } from './until.ts';
