// Writes a Brotli (.br) and a gzip (.gz) copy beside every text file of an exported web app, once,
// at build time, so the servers (Prosody's mod_hush_web, Caddy's `file_server { precompressed }`)
// send a browser the smallest copy it accepts without compressing on every request.
//
//   node scripts/precompress-web.ts DIR
//
// The app's first chunk is ~1.2 MB as exported and ~280 KiB with Brotli at its highest quality;
// OMEMO and jsQR are chunks of their own, fetched when needed (metro.config.mjs, doc/benchmarks.md).
// A copy that would not be smaller is not written.
import { readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const TEXT = new Set(['.html', '.js', '.css', '.json', '.svg', '.map', '.txt', '.webmanifest']);

export async function precompress(
  dir: string,
): Promise<{ files: number; bytes: number; brotli: number }> {
  let files = 0;
  let bytes = 0;
  let brotli = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !TEXT.has(extname(entry.name))) continue;
    const path = join(entry.parentPath, entry.name);
    const body = await readFile(path);
    const br = brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    });
    const gz = gzipSync(body, { level: 9 });
    // Same modification time as the source would be ideal; what matters is that both are written
    // after it, so a server that compares times sees them as current.
    if (br.length < body.length) await writeFile(`${path}.br`, br);
    if (gz.length < body.length) await writeFile(`${path}.gz`, gz);
    files++;
    bytes += body.length;
    brotli += Math.min(br.length, body.length);
  }
  return { files, bytes, brotli };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir || !(await stat(dir).catch(() => undefined))?.isDirectory()) {
    console.error('usage: node scripts/precompress-web.ts DIR');
    process.exit(2);
  }
  const { files, bytes, brotli } = await precompress(dir);
  console.log(
    `Precompressed ${files} files: ${(bytes / 1024).toFixed(0)} KiB, ${(brotli / 1024).toFixed(0)} KiB with Brotli.`,
  );
}
