// npm run bench: measurements on a real Prosody on loopback. Prints a Markdown table for
// doc/benchmarks.md. Comparisons are ratios measured side by side in this one run.
import { randomBytes } from 'node:crypto';
import xml from '@xmpp/xml';
import { openSession, type XmppSession } from '@hush/core';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { median, printHeader, printRows, time } from './stats.ts';

async function putThroughSlot(session: XmppSession, body: Uint8Array): Promise<number> {
  const granted = await session.request(
    xml(
      'iq',
      { type: 'get', to: 'upload.localhost' },
      xml('request', {
        xmlns: 'urn:xmpp:http:upload:0',
        filename: 'blob.bin',
        size: String(body.length),
      }),
    ),
  );
  const put = granted.getChild('slot')?.getChild('put');
  if (!put?.attrs.url) throw new Error('no upload slot');
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  for (const header of put.getChildren('header')) headers[header.attrs.name ?? ''] = header.text();
  const url = put.attrs.url;
  return time(async () => {
    const response = await fetch(url, { method: 'PUT', body, headers });
    if (response.status !== 201) throw new Error(`PUT answered ${response.status}`);
  });
}

const rows: [string, string][] = [];

// Throwaway server start-up (what every integration test file pays).
const starts: number[] = [];
for (let i = 0; i < 5; i++) {
  let server: ProsodyServer | undefined;
  starts.push(await time(async () => (server = await startProsody())));
  await server?.stop();
}
rows.push([
  'throwaway Prosody start (CA, render, ports ready), median of 5',
  `${median(starts).toFixed(0)} ms`,
]);

// Login over wss, and a 10 MiB upload with the template's read size vs Prosody's default, side by side.
const tuned = await startProsody();
const stock = await startProsody({ settings: { NETWORK_READ_SIZE: '4096' } });
try {
  for (const server of [tuned, stock]) {
    trustCertificateAuthority(server.caCert);
    await server.createAccount('bench', 'bench-password');
  }
  const logins: number[] = [];
  // The first login of a process pays for loading and compiling the client: one unrecorded.
  for (let i = -1; i < 20; i++) {
    let session: XmppSession | undefined;
    logins.push(
      await time(async () => {
        session = await openSession({
          service: tuned.websocketUrl,
          jid: 'bench@localhost',
          password: 'bench-password',
        });
      }),
    );
    await session?.close();
  }
  logins.shift();
  rows.push([
    'login over wss (TLS, SCRAM-SHA-256, bind), median of 20',
    `${median(logins).toFixed(0)} ms`,
  ]);

  const body = randomBytes(10 * 1024 * 1024);
  const sessions = await Promise.all(
    [tuned, stock].map((server) =>
      openSession({
        service: server.websocketUrl,
        jid: 'bench@localhost',
        password: 'bench-password',
      }),
    ),
  );
  const [tunedSession, stockSession] = sessions as [XmppSession, XmppSession];
  const tunedPuts: number[] = [];
  const stockPuts: number[] = [];
  for (let i = 0; i < 5; i++) {
    tunedPuts.push(await putThroughSlot(tunedSession, body));
    stockPuts.push(await putThroughSlot(stockSession, body));
  }
  await Promise.all(sessions.map((session) => session.close()));
  const [t, s] = [median(tunedPuts), median(stockPuts)];
  rows.push(['10 MiB upload PUT, read size 65536 (template), median of 5', `${t.toFixed(0)} ms`]);
  rows.push([
    "10 MiB upload PUT, read size 4096 (Prosody's default), median of 5",
    `${s.toFixed(0)} ms`,
  ]);
  rows.push(['upload speed-up from the tuned read size', `${(s / t).toFixed(1)}x`]);
} finally {
  await Promise.all([tuned.stop(), stock.stop()]);
}

printHeader();
printRows(rows);
await import('./login.ts').then((login) => login.printLoginRows());
await import('./web-start.ts').then((web) => web.printWebStartRows());
await import('./messaging.ts').then((messaging) => messaging.printMessagingRows());
await import('./omemo.ts').then((omemo) => omemo.printOmemoRows());
await import('./media.ts').then((media) => media.printMediaRows());
await import('./storage.ts').then((storage) => storage.printStorageRows());
await import('./recording.ts').then((recording) => recording.printRecordingRows());
await import('./s3.ts').then((s3) => s3.printS3Rows());
await import('./sessions.ts').then((sessions) => sessions.printSessionsRows());
await import('./cluster.ts').then((cluster) => cluster.printClusterRows());
