// The web app as a browser downloads it from Prosody (mod_hush_web): the precompressed copies the
// build writes (scripts/precompress-web.ts), the smallest one the browser accepts, and hashed files
// cached for good. Raw HTTPS requests, so the bytes on the wire are what is checked (fetch() would
// decompress them silently).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startProsody } from '@hush/test-utils';
import { precompress } from '../../scripts/precompress-web.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname + target.search,
        servername: 'localhost',
        ca,
        headers: { host: target.host, ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('the web app is sent precompressed (Brotli, else gzip, else as is), hashed files cached for a year', async () => {
  const web = await mkdtemp(join(tmpdir(), 'hush-web-'));
  const html = `<!doctype html><title>Hush ${randomUUID()}</title>`;
  // A bundle-like script: text that compresses, with a unique marker so nothing else can match.
  const bundle = `/* ${randomUUID()} */\n${'export const greeting = "hello from the bundle";\n'.repeat(500)}`;
  await writeFile(join(web, 'index.html'), html);
  const scriptPath = '_expo/static/js/web/index-0123abcd.js';
  await mkdir(join(web, '_expo/static/js/web'), { recursive: true });
  await writeFile(join(web, scriptPath), bundle);
  await writeFile(join(web, 'metadata.json'), '{}');
  const summary = await precompress(web);
  assert.equal(summary.files, 3);
  const written = (await readdir(web, { recursive: true })).sort();
  assert.ok(
    written.includes(`${scriptPath}.br`) && written.includes(`${scriptPath}.gz`),
    written.join(),
  );
  // metadata.json ("{}") does not get smaller: no copies of it.
  assert.equal(written.includes('metadata.json.br'), false);
  await chmod(web, 0o755);

  const server = await startProsody({ settings: { WEB_DIR: web } });
  try {
    const url = new URL(scriptPath, server.httpsUrl).href;
    const brotli = await get(url, server.caCert, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.match(String(brotli.headers['content-type']), /^text\/javascript/);
    assert.equal(brotli.headers.vary, 'Accept-Encoding');
    assert.equal(brotli.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(brotliDecompressSync(brotli.body).toString(), bundle);
    assert.ok(brotli.body.length < bundle.length / 10, `${brotli.body.length} bytes on the wire`);
    // Security headers stay on compressed answers.
    assert.equal(brotli.headers['x-content-type-options'], 'nosniff');
    assert.ok(brotli.headers['content-security-policy']);

    const gzip = await get(url, server.caCert, { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzip.body).toString(), bundle);

    // br refused with q=0: gzip; nothing accepted: the file as it is.
    const noBrotli = await get(url, server.caCert, { 'accept-encoding': 'br;q=0, gzip;q=0.5' });
    assert.equal(noBrotli.headers['content-encoding'], 'gzip');
    const plain = await get(url, server.caCert);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), bundle);
    assert.equal(plain.headers.vary, 'Accept-Encoding');

    // The page itself is never cached, compressed or not; a missing file is still 404.
    const page = await get(server.httpsUrl, server.caCert, { 'accept-encoding': 'br' });
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-cache');
    const missing = await get(
      new URL('_expo/static/js/web/gone.js', server.httpsUrl).href,
      server.caCert,
      {
        'accept-encoding': 'br',
      },
    );
    assert.equal(missing.status, 404);
    // No way out of the folder through a compressed copy either.
    for (const escape of ['/..%2f..%2fetc/passwd', '/_expo/../../etc/passwd']) {
      const answer = await get(`${server.httpsUrl.replace(/\/$/, '')}${escape}`, server.caCert, {
        'accept-encoding': 'br, gzip',
      });
      assert.ok([400, 403, 404].includes(answer.status), `${escape}: ${answer.status}`);
      assert.doesNotMatch(answer.body.toString('latin1'), /root:/);
    }
  } finally {
    await server.stop();
    await rm(web, { recursive: true, force: true });
  }
});
