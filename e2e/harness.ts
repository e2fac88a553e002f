// The browser end-to-end stack: a throwaway Prosody (test-utils), the exported web build served over
// HTTPS from a loopback port with /xmpp-websocket and /file_share/ passed through to Prosody (as
// Caddy does in production, so the app finds its server, and its uploads, on its own origin) under
// the server's Content-Security-Policy, and Debian's Chromium driven by playwright-core. Chromium
// trusts the test certificate by its SPKI pin only; nothing else about TLS is relaxed.
//
// The suites run twice: `npm run e2e` in English, then `npm run e2e:ru` with HUSH_LOCALE=ru-RU,
// the language every profile opens with unless a test asks for another. Tests find the UI by the
// app's own words in the profile's language (wordsFor, patternFor), never by English literals. The
// Russian run leaves out the suites it would not test anew:
// - people.test.ts: opens one Russian and one English profile itself, whatever HUSH_LOCALE says;
// - converse-first-contact.test.ts: no Hush UI, only Converse.js and the core library;
// - soak.test.ts: delivery under cut connections and crashes, where no words are looked at.
// Both runs pass --test-force-exit: a suite that fails midway can leave a browser or a server
// open, and its file would then never end, holding up every suite after it.
import { createHash, X509Certificate } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import { connect } from 'node:tls';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { en } from '../packages/app/src/i18n/en.ts';
import { ru } from '../packages/app/src/i18n/ru.ts';
import {
  freePorts,
  repoRoot,
  startProsody,
  webContentSecurityPolicy,
  type ProsodyServer,
} from '@hush/test-utils';

/** The exported web app: packages/app/dist, or HUSH_WEB_BUILD (a build of one's own elsewhere). */
export const webBuild = process.env.HUSH_WEB_BUILD ?? join(repoRoot, 'packages/app/dist');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript; charset=utf-8',
};

export interface Stack {
  readonly prosody: ProsodyServer;
  /** https://localhost:PORT/ */
  readonly url: string;
  /** base64 SHA-256 of the server certificate's SubjectPublicKeyInfo, for Chromium's pin list. */
  readonly spki: string;
  /** Cuts every open websocket, as a network change does; the apps must come back by themselves. */
  dropConnections(): void;
  /** While true, new websocket connections are refused: the apps stay offline. */
  refuseConnections(value: boolean): void;
  stop(): Promise<void>;
}

/** The SPKI pin Chromium's --ignore-certificate-errors-spki-list expects. */
export function spkiHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

export interface StackOptions {
  /**
   * Further folders served on the same origin, by URL prefix (e.g. { '/converse/': dir }): another
   * web client then reaches the same websocket as the app.
   */
  readonly folders?: Readonly<Record<string, string>>;
  /**
   * Further server settings for startProsody (render.sh's NAME=VALUE), e.g. { COMMUNITY_MODULES:
   * 'true' } for SASL2, Bind 2 and FAST as production runs. PUBLIC_URL is the stack's own.
   */
  readonly settings?: Readonly<Record<string, string>>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (!existsSync(join(webBuild, 'index.html'))) {
    throw new Error(`No web build in ${webBuild}: run npm run export:web -w @hush/app first.`);
  }
  const folders = Object.entries(options.folders ?? {});
  // As in production, the page, the websocket and the uploads share one origin: Prosody hands out
  // upload URLs on this server's address, which passes /file_share/ through to it (as Caddy does).
  const [port] = (await freePorts(1)) as [number];
  const prosody = await startProsody({
    settings: { ...options.settings, PUBLIC_URL: `https://localhost:${port}/` },
  });
  const policy = webContentSecurityPolicy();
  const certFile = join(prosody.dir, 'certs', `${prosody.domain}.crt`);
  const keyFile = join(prosody.dir, 'certs', `${prosody.domain}.key`);
  const cert = readFileSync(certFile, 'utf8');
  const server: Server = createServer({ cert, key: readFileSync(keyFile) }, (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname));
    if (path.startsWith('/file_share/')) {
      const upstream = request(
        {
          host: '127.0.0.1',
          port: prosody.ports.https,
          servername: prosody.domain,
          ca: prosody.caCert,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `${prosody.domain}:${prosody.ports.https}` },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    const folder = folders.find(([prefix]) => path.startsWith(prefix));
    if (folder) {
      const [prefix, root] = folder;
      const file = join(root, path.slice(prefix.length));
      if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    // The app runs under the policy the server sends with it (other clients' folders do not).
    res.setHeader('content-security-policy', policy);
    let file = join(webBuild, path);
    // Caddy's try_files {path} /index.html: the app's own paths (/invite?TOKEN) load the app.
    if (!file.startsWith(webBuild) || !existsSync(file) || statSync(file).isDirectory()) {
      file = join(webBuild, 'index.html');
    }
    // As Caddy's `precompressed br gzip`: the build's Brotli copy when the browser takes it.
    const headers: Record<string, string> = {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
    };
    if (/\bbr\b/.test(String(req.headers['accept-encoding'])) && existsSync(`${file}.br`)) {
      file = `${file}.br`;
      headers['content-encoding'] = 'br';
      headers.vary = 'Accept-Encoding';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  const tunnels = new Set<{ destroy(): void }>();
  let refusing = false;
  server.on('upgrade', (req, socket, head) => {
    if (refusing || !req.url?.startsWith('/xmpp-websocket')) return socket.destroy();
    const upstream = connect({
      host: '127.0.0.1',
      port: prosody.ports.https,
      servername: prosody.domain,
      ca: prosody.caCert,
    });
    upstream.once('secureConnect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    const close = () => {
      socket.destroy();
      upstream.destroy();
      tunnels.delete(tunnel);
    };
    const tunnel = { destroy: close };
    tunnels.add(tunnel);
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    prosody,
    url: `https://localhost:${address.port}/`,
    spki: spkiHash(cert),
    dropConnections() {
      for (const tunnel of [...tunnels]) tunnel.destroy();
    },
    refuseConnections(value) {
      refusing = value;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await prosody.stop();
    },
  };
}

/** What the server's Content-Security-Policy blocked in any profile; the suites expect none. */
export const policyViolations: string[] = [];

export interface BrowserOptions {
  /** A WAV file Chromium's fake microphone plays. */
  fakeAudio?: string;
  /** A Y4M (or MJPEG) file Chromium's fake camera plays, in a loop. */
  fakeVideo?: string;
  /** Further Chromium flags, e.g. a fake camera whose permission prompt is refused. */
  args?: readonly string[];
  /**
   * The browser's language (navigator.languages, Accept-Language), which the app follows:
   * HUSH_LOCALE, else English, the language the suites look text up in.
   */
  locale?: string;
}

/** The language browser profiles speak unless a test asks for another. */
export const defaultLocale = process.env.HUSH_LOCALE ?? 'en-US';

type Words = { readonly [key: string]: string | Words };
const languages: Readonly<Record<string, Words>> = { en, ru };

/** The app's resources for a browser language: 'ru-RU' → Russian, anything unknown → English. */
const languageOf = (locale: string): Words =>
  languages[locale.toLowerCase().split(/[-_]/)[0] ?? ''] ?? en;

/**
 * The app's words in a browser language ('ru-RU' → Russian, anything unknown → English), looked
 * up by key with {{placeholders}} filled: tests find text as the person reads it in their language.
 */
export function wordsFor(locale: string = defaultLocale) {
  const language = languageOf(locale);
  return (key: string, values: Readonly<Record<string, string>> = {}): string => {
    let node: string | Words | undefined = language;
    for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined;
    if (typeof node !== 'string') throw new Error(`no words for '${key}' in ${locale}`);
    return node.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  };
}

/** `text` as a regular expression's source that matches exactly it. */
export function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Like wordsFor, but a regular expression's source: the words taken literally, each {{placeholder}}
 * as the pattern given for it, or any text. For words with a part the test cannot know (a device
 * id, a trust level), e.g. `pattern('device.line', { id: '\\d+' })`.
 */
export function patternFor(locale: string = defaultLocale) {
  const t = wordsFor(locale);
  return (key: string, patterns: Readonly<Record<string, string>> = {}): string =>
    t(key)
      .split(/(\{\{\w+(?:, *\w+)?\}\})/)
      .map((part, i) =>
        i % 2 === 0 ? literally(part) : (patterns[/\w+/.exec(part)?.[0] ?? ''] ?? '.*?'),
      )
      .join('');
}

/**
 * The seconds a voice message's label gives ('Voice message, 2.5 seconds'; 'Голосовое сообщение,
 * 2,5 секунды'), read with the language's plural forms and decimal mark; NaN when the label is not
 * one of them.
 */
export function voiceSeconds(label: string, locale: string = defaultLocale): number {
  const pattern = patternFor(locale);
  const file = languageOf(locale).file;
  const forms = Object.keys(typeof file === 'object' ? file : {}).filter((key) =>
    key.startsWith('voiceLabel_'),
  );
  for (const form of forms) {
    const count = '(\\d+(?:[.,]\\d+)?)';
    const found = new RegExp(`^${pattern(`file.${form}`, { count })}$`).exec(label);
    if (found?.[1] !== undefined) return Number(found[1].replace(',', '.'));
  }
  return Number.NaN;
}

/** A Chromium profile of its own (own IndexedDB), trusting the stack's certificate by its pin. */
export async function openProfile(
  stack: Stack,
  options: BrowserOptions = {},
): Promise<BrowserContext> {
  const dir = await mkdtemp(join(tmpdir(), 'hush-e2e-profile-'));
  await mkdir(dir, { recursive: true });
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 420, height: 760 },
    locale: options.locale ?? defaultLocale,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${stack.spki}`,
      // Fake devices, and no permission prompt. Without --use-fake-device-for-media-stream
      // getUserMedia finds no camera here (NotFoundError); without the fake UI headless Chromium
      // refuses the prompt (NotAllowedError).
      ...(options.fakeAudio || options.fakeVideo
        ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']
        : []),
      ...(options.fakeAudio ? [`--use-file-for-fake-audio-capture=${options.fakeAudio}`] : []),
      ...(options.fakeVideo ? [`--use-file-for-fake-video-capture=${options.fakeVideo}`] : []),
      ...(options.args ?? []),
    ],
  });
  // Chromium reports what the Content-Security-Policy blocked on the console.
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  return context;
}

/** Signs up `name` on the stack's server with a fresh invite, through the onboarding form. */
export async function signUpWithInvite(
  p: Page,
  stack: Stack,
  name: string,
  password: string,
): Promise<void> {
  await p.goto(stack.url);
  await p.getByTestId('tab-invite').click();
  await p.getByTestId('invite-input').fill(await stack.prosody.createInvite());
  await p.getByTestId('username-input').fill(name);
  await p.getByTestId('password-input').fill(password);
  await p.getByTestId('submit').click();
  await onlineIn(p);
}

/** Waits for the chat list to say the account is online, in the page's language. */
export async function onlineIn(p: Page, timeout = 30_000): Promise<void> {
  const locale = await p.evaluate('navigator.language');
  const online = wordsFor(String(locale))('phase.online');
  await p
    .getByTestId('header-subtitle')
    .getByText(new RegExp(` · ${online}$`))
    .waitFor({ timeout });
}

/**
 * Waits until `expression` is true in the page. Playwright's waitForFunction compiles its predicate
 * in the page with new Function, which the app's Content-Security-Policy forbids (no eval);
 * page.evaluate runs from outside the page, so this polls with that instead.
 */
export async function waitInPage(p: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await p.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression} in the page`);
    await p.waitForTimeout(50);
  }
}

/**
 * Waits (bounded) until Converse.js in `page` (its API exposed as window.hushTest) reads a device of
 * `jid` from the server: Converse writes only once it sees one, and refuses a message written before
 * ("no devices found").
 */
export async function untilConverseSeesDevice(page: Page, jid: string): Promise<void> {
  await page.waitForFunction(
    `(async () => {
      try {
        const lists = window.hushTest.api.omemo?.devicelists;
        if (!lists) return false;
        const list = await lists.get(${JSON.stringify(jid)}, true);
        return (await list.fetchDevicesFromServer()).length > 0;
      } catch {
        return false;
      }
    })()`,
    undefined,
    { timeout: 30_000, polling: 500 },
  );
}
