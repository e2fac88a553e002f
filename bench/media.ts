// XEP-0454 OMEMO Media Sharing — https://xmpp.org/extensions/xep-0454.html
// Files: AES-256-GCM as core runs it (WebCrypto where the platform has it, noble on React Native)
// against raw node:crypto on the same 10 MB, side by side; and a 10 MB encrypted file uploaded,
// downloaded and decrypted through a real Prosody (the template's settings) on loopback, with the
// peak memory it took; and a 5-minute Opus voice message remuxed into CAF, as iOS plays it.
// `node bench/media.ts` prints a whole table; bench/run.ts appends the rows to its own table.
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  createMemoryStorage,
  decryptFile,
  decryptFileAsync,
  downloadFile,
  encryptFile,
  encryptFileAsync,
  openSession,
  opusToCaf,
  startClient,
  FileSender,
} from '@hush/core';
import { startProsody, trustCertificateAuthority } from '@hush/test-utils';
import { alternate, maxMedian, median, noiseMark, printHeader, printRows, time } from './stats.ts';

const SIZE = 10 * 1024 * 1024;

// 5 minutes (the voice limit) at 32 kb/s, about what MediaRecorder makes, in the three containers
// the web sends Opus in.
const VOICE_FORMATS: [string, string, string[]][] = [
  ['Ogg', 'ogg', []],
  ['WebM as MediaRecorder writes it', 'webm', ['-live', '1', '-f', 'webm']],
  ['fragmented MP4', 'mp4', ['-movflags', 'frag_keyframe+empty_moov', '-f', 'mp4']],
];
const REMUX_ROUNDS = 15;

/** Median milliseconds of opusToCaf on the file; run in an interpreter-only child too. */
async function remuxMilliseconds(file: string): Promise<number> {
  const bytes = new Uint8Array(await readFile(file));
  const times: number[] = [];
  for (let i = 0; i < REMUX_ROUNDS; i++) {
    const start = performance.now();
    opusToCaf(bytes);
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * Remuxing a 5-minute voice message into CAF, here and in a Node process without V8's compilers:
 * Hermes, which runs the iOS app, has no JIT either, so that is the nearer stand-in for a phone.
 */
export async function measureVoiceRemux(): Promise<[string, string][]> {
  const run = promisify(execFile);
  const dir = await mkdtemp(join(tmpdir(), 'hush-bench-voice-'));
  try {
    const rows: [string, string][] = [];
    for (const [label, ext, args] of VOICE_FORMATS) {
      const file = join(dir, `voice.${ext}`);
      await run('ffmpeg', [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=300'],
        ...['-c:a', 'libopus', '-b:a', '32k', '-vbr', 'off', ...args, file],
      ]);
      const size = (await readFile(file)).length;
      const jit = await remuxMilliseconds(file);
      const child = await run(process.execPath, [
        // V8's interpreter alone (--jitless would also turn off the WebAssembly that Node's
        // TypeScript stripping needs).
        ...['--no-opt', '--no-maglev', '--no-sparkplug', '--disable-warning=ExperimentalWarning'],
        ...[fileURLToPath(import.meta.url), '--remux', file],
      ]);
      const interpreted = Number(child.stdout.trim().split('\n').at(-1));
      rows.push([
        `5-minute Opus voice message, ${label} (${(size / 1024).toFixed(0)} KiB), remuxed to CAF for iOS, median of ${REMUX_ROUNDS}`,
        `${jit.toFixed(1)} ms (interpreter only: ${interpreted.toFixed(1)} ms)`,
      ]);
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function measureMedia(): Promise<[string, string][]> {
  const rows: [string, string][] = await measureVoiceRemux();
  const data = new Uint8Array(randomBytes(SIZE));
  const key = new Uint8Array(randomBytes(32));
  const iv = new Uint8Array(randomBytes(12));
  const mbPerS = async (fn: () => Promise<unknown> | unknown) =>
    SIZE / 1024 / 1024 / ((await time(fn)) / 1000);
  // Core against raw node:crypto, rounds alternating after one to warm up.
  const aes = await alternate(['raw', 'core'] as const, 7, 1, (which) =>
    which === 'raw'
      ? mbPerS(() => {
          const cipher = createCipheriv('aes-256-gcm', key, iv);
          const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
          const tag = cipher.getAuthTag();
          const decipher = createDecipheriv('aes-256-gcm', key, iv);
          decipher.setAuthTag(tag);
          Buffer.concat([decipher.update(sealed), decipher.final()]);
        })
      : mbPerS(async () => {
          const sealed = await encryptFileAsync(data);
          await decryptFileAsync(sealed.ciphertext, sealed.key, sealed.iv);
        }),
  );
  const noble = await alternate(['noble'] as const, 3, 1, () =>
    mbPerS(() => {
      const sealed = encryptFile(data);
      decryptFile(sealed.ciphertext, sealed.key, sealed.iv);
    }),
  );
  rows.push([
    'AES-256-GCM encrypt+decrypt of 10 MiB: core (WebCrypto) vs raw node:crypto, 7 alternating runs, max / median',
    `${maxMedian(aes.core, 'MB/s')} vs ${maxMedian(aes.raw, 'MB/s')}: ${(aes.core.median / aes.raw.median).toFixed(2)}${noiseMark(aes.core, aes.raw)}`,
  ]);
  rows.push([
    'AES-256-GCM encrypt+decrypt of 10 MiB, noble (React Native, no WebCrypto), 3 runs, max / median',
    `${maxMedian(noble.noble, 'MB/s')} (${(noble.noble.median / aes.raw.median).toFixed(3)} of node:crypto)`,
  ]);

  // The transfer runs in a fresh process, so its peak memory is its own and not what earlier
  // benchmarks left behind.
  const child = await promisify(execFile)(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), '--transfer'],
    { maxBuffer: 1024 * 1024 },
  );
  const transfer = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
    medianMs: number;
    baselineMiB: number;
    peakMiB: number;
  };
  rows.push([
    '10 MiB file: encrypt, upload, send, download, decrypt, on loopback (template server), median of 5',
    `${transfer.medianMs.toFixed(0)} ms`,
  ]);
  rows.push([
    'peak memory of that process (RSS), and its baseline after connecting',
    `${transfer.peakMiB.toFixed(0)} MiB (baseline ${transfer.baselineMiB.toFixed(0)} MiB)`,
  ]);
  return rows;
}

/** Runs in its own process (`--transfer`): prints one JSON line. */
async function measureTransfer(): Promise<void> {
  const server = await startProsody();
  try {
    trustCertificateAuthority(server.caCert);
    await server.createAccount('alice', 'bench-password');
    await server.createAccount('bob', 'bench-password');
    const connect = async (name: string) => {
      const session = await openSession({
        service: server.websocketUrl,
        jid: `${name}@localhost`,
        password: 'bench-password',
      });
      const storage = createMemoryStorage();
      const client = await startClient({ session, storage });
      return { session, storage, client };
    };
    const alice = await connect('alice');
    const bob = await connect('bob');
    const files = new FileSender({
      session: alice.session,
      storage: alice.storage,
      messenger: alice.client.messenger,
    });
    const file = new Uint8Array(randomBytes(SIZE - 64));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const message = await files.send('bob@localhost', file);
      const { bytes } = await downloadFile(message.body);
      times.push(performance.now() - start);
      if (bytes.length !== file.length) throw new Error('size mismatch');
    }
    clearInterval(sampler);
    console.log(
      JSON.stringify({
        medianMs: median(times),
        baselineMiB: before / 1024 / 1024,
        peakMiB: peak / 1024 / 1024,
      }),
    );
    for (const side of [alice, bob]) {
      await side.client.close();
      await side.session.close();
    }
  } finally {
    await server.stop();
  }
}

/** Prints the rows as lines of run.ts's Markdown table. */
export async function printMediaRows(): Promise<void> {
  printRows(await measureMedia());
}

if (process.argv[1] === import.meta.filename && process.argv.includes('--transfer')) {
  await measureTransfer();
} else if (process.argv[1] === import.meta.filename && process.argv.includes('--remux')) {
  console.log(await remuxMilliseconds(process.argv.at(-1) ?? ''));
} else if (process.argv[1] === import.meta.filename) {
  printHeader();
  await printMediaRows();
}
