// RFC 5802 SCRAM — https://www.rfc-editor.org/rfc/rfc5802 ; RFC 7677 SCRAM-SHA-256 — https://www.rfc-editor.org/rfc/rfc7677
// Login cost: Hush's SCRAM (noble pbkdf2) against xmpp.js's stock SCRAM-SHA-1 (sequential WebCrypto
// HMACs), side by side in this one run. The template's Prosody stores SHA-256 credentials only, so
// stock SCRAM-SHA-1 cannot log in to it: the comparison is the client computation on the same salt and
// 10,000 iterations (what Prosody uses), and the end-to-end row is Hush's real login over wss.
// `node bench/login.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import saslScramSha1, { type StockScramMechanismClass } from '@xmpp/sasl-scram-sha-1';
import { openSession, ScramClient, type ScramMechanismName, type XmppSession } from '@hush/core';
import { startProsody, trustCertificateAuthority } from '@hush/test-utils';

const ITERATIONS = 10_000;
const credentials = { username: 'bench', password: 'bench-password' };

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** One exchange's inputs: the same nonce, salt and count for both implementations. */
function exchange() {
  const clientNonce = randomBytes(18).toString('base64');
  const salt = randomBytes(16).toString('base64');
  return {
    clientNonce,
    serverFirst: `r=${clientNonce}${randomBytes(18).toString('base64')},s=${salt},i=${ITERATIONS}`,
  };
}

let StockMechanism: StockScramMechanismClass | undefined;
saslScramSha1({ use: (mechanism) => (StockMechanism = mechanism) });

/** xmpp.js's SCRAM-SHA-1: the client-final message (with proof) for `serverFirst`. */
async function stockClientFinal(clientNonce: string, serverFirst: string): Promise<string> {
  if (!StockMechanism) throw new Error('@xmpp/sasl-scram-sha-1 registered no mechanism');
  const mechanism = new StockMechanism({ genNonce: () => clientNonce });
  await mechanism.response(credentials);
  mechanism.challenge(serverFirst);
  return mechanism.response(credentials);
}

function ourClientFinal(mechanism: ScramMechanismName, clientNonce: string, serverFirst: string) {
  const client = new ScramClient({ mechanism, ...credentials, clientNonce });
  client.clientFirst();
  return client.clientFinal(serverFirst);
}

export async function measureLogin(): Promise<[string, string][]> {
  const rows: [string, string][] = [];

  // Same inputs must give the same proof, or the timing compares different work.
  const check = exchange();
  const stockFinal = await stockClientFinal(check.clientNonce, check.serverFirst);
  if (stockFinal !== (await ourClientFinal('SCRAM-SHA-1', check.clientNonce, check.serverFirst)))
    throw new Error('Hush and xmpp.js compute different SCRAM-SHA-1 proofs');

  const stock: number[] = [];
  const oursSha1: number[] = [];
  const oursSha256: number[] = [];
  for (let i = 0; i < 20; i++) {
    const { clientNonce, serverFirst } = exchange();
    // The stock one takes about a second a time: 5 samples give a stable median.
    if (i < 5) stock.push(await time(() => stockClientFinal(clientNonce, serverFirst)));
    oursSha1.push(await time(() => ourClientFinal('SCRAM-SHA-1', clientNonce, serverFirst)));
    oursSha256.push(await time(() => ourClientFinal('SCRAM-SHA-256', clientNonce, serverFirst)));
  }
  const [s, o1, o256] = [median(stock), median(oursSha1), median(oursSha256)];
  rows.push([
    `SCRAM-SHA-1 client proof, ${ITERATIONS} iterations, xmpp.js stock (WebCrypto), median of 5`,
    `${s.toFixed(0)} ms`,
  ]);
  rows.push([
    `SCRAM-SHA-1 client proof, ${ITERATIONS} iterations, Hush (noble), median of 20`,
    `${o1.toFixed(1)} ms`,
  ]);
  rows.push([
    `SCRAM-SHA-256 client proof, ${ITERATIONS} iterations, Hush (noble), median of 20`,
    `${o256.toFixed(1)} ms`,
  ]);
  rows.push([
    'SCRAM-SHA-1 client proof speed-up, Hush vs xmpp.js stock',
    `${(s / o1).toFixed(0)}x`,
  ]);
  rows.push([
    'client proof speed-up, Hush SCRAM-SHA-256 vs xmpp.js stock SCRAM-SHA-1',
    `${(s / o256).toFixed(0)}x`,
  ]);

  const server = await startProsody();
  try {
    trustCertificateAuthority(server.caCert);
    await server.createAccount(credentials.username, credentials.password);
    const logins: number[] = [];
    let mechanism = '';
    for (let i = 0; i < 20; i++) {
      let session: XmppSession | undefined;
      logins.push(
        await time(async () => {
          session = await openSession({
            service: server.websocketUrl,
            jid: `${credentials.username}@localhost`,
            password: credentials.password,
          });
        }),
      );
      mechanism = session?.mechanism ?? '';
      await session?.close();
    }
    if (mechanism !== 'SCRAM-SHA-256') throw new Error(`logged in with ${mechanism}`);
    rows.push([
      `login over wss (TLS, ${mechanism}, bind), Hush, median of 20`,
      `${median(logins).toFixed(0)} ms`,
    ]);
  } finally {
    await server.stop();
  }
  return rows;
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printLoginRows(): Promise<void> {
  for (const [name, value] of await measureLogin()) console.log(`| ${name} | ${value} |`);
}

if (process.argv[1] === import.meta.filename) {
  console.log(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log(`Date: ${new Date().toISOString().slice(0, 10)}\n`);
  console.log('| measurement | result |\n| --- | --- |');
  await printLoginRows();
}
