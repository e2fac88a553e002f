// The web app's Content-Security-Policy in S3 mode: Prosody serves the app (WEB_DIR, mod_hush_web)
// while files go to the upload service on another origin (UPLOAD_URL). The configuration names that
// origin (hush_web_connect_sources) and the policy lets the app's pages connect to it, and to
// nothing else; an entry that is not a plain origin is logged and left out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startProsody,
  trustCertificateAuthority,
  webContentSecurityPolicy,
  type ProsodyServer,
} from '@hush/test-utils';

let server: ProsodyServer;
let web: string;

/** The connect-src directive of a policy, as a list of sources. */
function connectSources(policy: string | null): string[] {
  const directive = (policy ?? '').split(';').map((part) => part.trim().split(/\s+/));
  return directive.find(([name]) => name === 'connect-src')?.slice(1) ?? [];
}

before(async () => {
  web = await mkdtemp(join(tmpdir(), 'hush-web-policy-'));
  await writeFile(join(web, 'index.html'), '<!doctype html><title>Hush</title>');
  await chmod(web, 0o755);
  server = await startProsody({ upload: 's3', settings: { WEB_DIR: web } });
  trustCertificateAuthority(server.caCert);
});
after(async () => {
  await server?.stop();
  await rm(web, { recursive: true, force: true });
});

test("in S3 mode the app's pages may connect to the upload service's origin, besides their own", async () => {
  const upload = new URL(server.uploads?.url ?? '').origin;
  assert.match(upload, /^https:\/\/localhost:\d+$/);
  assert.notEqual(upload, new URL(server.httpsUrl).origin, 'the upload service is another origin');
  for (const path of ['', 'invite?abcdEFGH1234', 'index.html', 'missing.js']) {
    const page = await fetch(new URL(path, server.httpsUrl));
    const policy = page.headers.get('content-security-policy');
    assert.equal(policy, webContentSecurityPolicy([upload]), path);
    assert.deepEqual(connectSources(policy), ["'self'", 'blob:', upload], path);
  }
});

test('an entry that is not a plain https or wss origin is logged and left out of the policy', async () => {
  const upload = new URL(server.uploads?.url ?? '').origin;
  const config = await readFile(server.configFile, 'utf8');
  const line = /^hush_web_connect_sources = .*$/m;
  assert.match(config, line, 'the rendered configuration sets hush_web_connect_sources');
  const sources = [
    upload,
    'https://files.example.net; script-src *',
    "'unsafe-eval'",
    'https://*.example.net',
    'http://files.example.net',
    'wss://push.example.net:8443',
    upload,
  ];
  const lua = `hush_web_connect_sources = { ${sources.map((s) => JSON.stringify(s)).join(', ')} }`;
  await writeFile(server.configFile, config.replace(line, lua));
  await server.restart();
  const page = await fetch(server.httpsUrl);
  const policy = page.headers.get('content-security-policy');
  assert.deepEqual(connectSources(policy), [
    "'self'",
    'blob:',
    upload,
    'wss://push.example.net:8443',
  ]);
  assert.equal(policy, webContentSecurityPolicy([upload, 'wss://push.example.net:8443']));
  assert.match(policy ?? '', /script-src 'self';/);
  // Each refused entry once, quoted as Lua quotes it (%q).
  const refused = (await server.readLogs())
    .split('\n')
    .filter((l) => /hush_web_connect_sources: .* is not an https:\/\/ or wss:\/\/ origin/.test(l));
  assert.equal(refused.length, 4, refused.join('\n'));
  for (const [i, source] of sources.slice(1, 5).entries()) {
    assert.ok(refused[i]?.includes(JSON.stringify(source).replaceAll("'", "\\'")), source);
  }
});
