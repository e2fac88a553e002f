export { renderConfig, makeCertificates } from './prosody.ts';
export { startProsody, testServerKind } from './test-server.ts';
export { serverSuite, type ServerSuite, type ServerSuiteOptions } from './suite.ts';
export type { ProsodyServer, ProsodyOptions } from './prosody.ts';
export { startTcpProxy } from './proxy.ts';
export type { TcpProxy } from './proxy.ts';
export { freePorts, waitForPort } from './ports.ts';
export { trustCertificateAuthority } from './tls.ts';
export { repoRoot } from './paths.ts';
export {
  messageWithBody,
  startOmemoPeer,
  startOmemoPeerOn,
  testPeers,
  type OmemoPeer,
  type OmemoPeerEvent,
  type TestPeers,
} from './omemo-peer.ts';
export { until } from './until.ts';
export { rejection } from './rejection.ts';
export { configureAccessModel, publishItem, retractItem, type IqRequester } from './pubsub.ts';
export { webContentSecurityPolicy } from './web-policy.ts';
export { tone } from './tone.ts';
export * from './ejabberd.ts';
export { startDnsResponder, type DnsResponder, type SrvAnswer } from './dns.ts';
export { startS3, startS3Uploads, type S3Server, type S3Uploads } from './s3.ts';
export { rootOnly } from './root.ts';
export { cliArgs, cliBin, cliEnv, runCli, type CliResult } from './cli.ts';
export { conversePage, type ConversePageOptions } from './converse-page.ts';
