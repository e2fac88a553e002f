// RFC 5802 SCRAM — https://www.rfc-editor.org/rfc/rfc5802 ; XEP-0388 SASL2 ; XEP-0386 Bind 2 ;
// XEP-0484 FAST — https://xmpp.org/extensions/xep-0484.html
// Login cost, side by side in one run against one Prosody 13 with SASL2, Bind 2 and FAST (the
// production configuration), min / median over alternating rounds:
// - a returning device's whole login as Hush does it: TLS, SASL2 with its FAST token, Bind 2 and
//   stream management inline, until the session is handed out (no password, no PBKDF2), and the
//   same from SCRAM keys where no token is usable;
// - stock xmpp.js's whole login with the password (it picks PLAIN: the server's SCRAM is SHA-256,
//   which stock xmpp.js lacks), TLS, SASL2, Bind 2, until 'online';
// - Hush's first login with the password (SCRAM-SHA-256, PBKDF2 through WebCrypto);
// and the client-side SCRAM proof alone: Hush's (WebCrypto PBKDF2) against xmpp.js's stock
// SCRAM-SHA-1 (sequential WebCrypto HMACs), same salt and 10,000 iterations.
// `node bench/login.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { randomBytes } from 'node:crypto';
import saslScramSha1, { type StockScramMechanismClass } from '@xmpp/sasl-scram-sha-1';
import { client } from '@xmpp/client';
import {
  openSession,
  ScramClient,
  type SavedLogin,
  type ScramMechanismName,
  type SessionOptions,
} from '@hush/core';
import { startProsody, trustCertificateAuthority, type ProsodyServer } from '@hush/test-utils';
import { alternate, minMedian, noiseMark, printHeader, printRows, runs, time } from './stats.ts';

const ITERATIONS = 10_000;
const credentials = { username: 'bench', password: 'bench-password' };

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

async function ourClientFinal(
  mechanism: ScramMechanismName,
  clientNonce: string,
  serverFirst: string,
): Promise<string> {
  const client = new ScramClient({ mechanism, ...credentials, clientNonce });
  client.clientFirst();
  return client.clientFinal(serverFirst);
}

async function proofRows(): Promise<[string, string][]> {
  // Same inputs must give the same proof, or the timing compares different work.
  const check = exchange();
  const stockFinal = await stockClientFinal(check.clientNonce, check.serverFirst);
  if (stockFinal !== (await ourClientFinal('SCRAM-SHA-1', check.clientNonce, check.serverFirst)))
    throw new Error('Hush and xmpp.js compute different SCRAM-SHA-1 proofs');
  const stock: number[] = [];
  const sha1: number[] = [];
  const sha256: number[] = [];
  for (let i = 0; i < 10; i++) {
    const { clientNonce, serverFirst } = exchange();
    // The stock one takes about a second a time: 5 samples.
    if (i < 5) stock.push(await time(() => stockClientFinal(clientNonce, serverFirst)));
    sha1.push(await time(() => ourClientFinal('SCRAM-SHA-1', clientNonce, serverFirst)));
    sha256.push(await time(() => ourClientFinal('SCRAM-SHA-256', clientNonce, serverFirst)));
  }
  const [s, o1, o256] = [runs(stock), runs(sha1), runs(sha256)];
  return [
    [
      `SCRAM-SHA-1 client proof, ${ITERATIONS} iterations, xmpp.js stock (sequential WebCrypto HMACs), min / median of 5`,
      minMedian(s, 'ms', 0),
    ],
    [
      `SCRAM-SHA-1 client proof, ${ITERATIONS} iterations, Hush (WebCrypto PBKDF2), min / median of 10`,
      minMedian(o1, 'ms'),
    ],
    [
      `SCRAM-SHA-256 client proof, ${ITERATIONS} iterations, Hush (WebCrypto PBKDF2), min / median of 10`,
      minMedian(o256, 'ms'),
    ],
  ];
}

/** Hush's login until the session is handed out; the saved login it left. */
async function hushLogin(
  options: SessionOptions,
): Promise<{ ms: number; mechanism: string; saved: SavedLogin }> {
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  const ms = await time(async () => (session = await openSession(options)));
  if (!session) throw new Error('no session');
  const result = { ms, mechanism: session.mechanism, saved: session.savedLogin };
  await session.close();
  return result;
}

/** Stock xmpp.js with the password, until 'online'. */
async function stockLogin(service: string): Promise<{ ms: number; mechanism: string }> {
  const xmpp = client({ service, domain: 'localhost', ...credentials });
  let mechanism = '';
  xmpp.on('send' as 'nonza', (element) => {
    if (element.name === 'authenticate' || element.name === 'auth')
      mechanism = element.attrs.mechanism ?? '';
  });
  xmpp.on('error', () => undefined);
  const ms = await time(() => xmpp.start());
  await xmpp.stop();
  return { ms, mechanism };
}

async function loginRows(server: ProsodyServer): Promise<[string, string][]> {
  const jid = `${credentials.username}@localhost`;
  const rows: [string, string][] = [];
  for (const [transport, service] of [
    ['xmpps (direct TLS)', `xmpps://localhost:${server.ports.c2sTls}`],
    ['wss', server.websocketUrl],
  ] as const) {
    const first = await hushLogin({ service, jid, password: credentials.password });
    const keysOnly: SavedLogin = {
      clientId: first.saved.clientId,
      ...(first.saved.scram && { scram: first.saved.scram }),
    };
    let saved = first.saved;
    const mechanisms: Record<string, string> = {};
    const measured = await alternate(
      ['fast', 'keys', 'password', 'stock'] as const,
      15,
      2,
      async (configuration) => {
        if (configuration === 'stock') {
          const { ms, mechanism } = await stockLogin(service);
          mechanisms.stock = mechanism;
          return ms;
        }
        const options: SessionOptions =
          configuration === 'fast'
            ? { service, jid, savedLogin: saved }
            : configuration === 'keys'
              ? { service, jid, savedLogin: keysOnly }
              : { service, jid, password: credentials.password };
        const result = await hushLogin(options);
        mechanisms[configuration] = result.mechanism;
        // A token may rotate; the next FAST round uses the latest.
        if (configuration === 'fast') saved = result.saved;
        return result.ms;
      },
    );
    if (!mechanisms.fast?.startsWith('HT-SHA-256'))
      throw new Error(`FAST round used ${mechanisms.fast}`);
    if (mechanisms.stock !== 'PLAIN') throw new Error(`stock xmpp.js used ${mechanisms.stock}`);
    rows.push(
      [
        `returning device's whole login over ${transport}, Hush: TLS, SASL2 ${mechanisms.fast} (FAST token), Bind 2, min / median of 15`,
        minMedian(measured.fast, 'ms'),
      ],
      [
        `returning device's whole login over ${transport}, Hush: TLS, SASL2 ${mechanisms.keys} from saved SCRAM keys (no token), Bind 2, min / median of 15`,
        minMedian(measured.keys, 'ms'),
      ],
      [
        `first login over ${transport}, Hush: TLS, SASL2 ${mechanisms.password} with the password (PBKDF2), Bind 2, min / median of 15`,
        minMedian(measured.password, 'ms'),
      ],
      [
        `whole login over ${transport}, stock xmpp.js 0.14: TLS, SASL2 PLAIN with the password, Bind 2, min / median of 15`,
        minMedian(measured.stock, 'ms'),
      ],
      [
        `Hush FAST login vs stock xmpp.js PLAIN login over ${transport}, median ratio`,
        `${(measured.fast.median / measured.stock.median).toFixed(2)}x${noiseMark(measured.fast, measured.stock)}`,
      ],
    );
  }
  return rows;
}

export async function measureLogin(): Promise<[string, string][]> {
  const rows = await proofRows();
  const server = await startProsody({ settings: { COMMUNITY_MODULES: 'true' } });
  try {
    trustCertificateAuthority(server.caCert);
    await server.createAccount(credentials.username, credentials.password);
    rows.push(...(await loginRows(server)));
  } finally {
    await server.stop();
  }
  return rows;
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printLoginRows(): Promise<void> {
  printRows(await measureLogin());
}

if (process.argv[1] === import.meta.filename) {
  printHeader();
  await printLoginRows();
}
