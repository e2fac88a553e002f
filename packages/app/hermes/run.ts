// Runs hermes/workload.ts in the Hermes VM and in Node from one Metro bundle, built with the app's
// own Metro configuration and Babel preset as the iOS and Android apps are, then compiled to
// optimised bytecode by hermesc as a release build is.
//
// The Hermes here is hermes-engine-cli 0.12 from npm: the only Hermes that runs on Linux from the
// registry, older than the one React Native 0.86 ships (no JIT either way; the newer one is faster
// and has TextEncoder/TextDecoder built in, which the prelude below supplies for the old one).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tone } from '@hush/test-utils';
import type { WorkloadInput, WorkloadResult } from './workload.ts';

const run = promisify(execFile);
const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const hermesBin = join(
  dirname(createRequire(import.meta.url).resolve('hermes-engine-cli/package.json')),
  'linux64-bin',
);

/**
 * What React Native sets up before an app's code runs, what Hermes 0.12 lacks that RN 0.86's has, and
 * no WebCrypto.
 */
const PRELUDE = `
globalThis.window = globalThis;
// A phone has no WebCrypto: both engines take the same pure-JavaScript paths (the workload brings
// its own seeded random stream), so the columns compare engines, not implementations.
Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true, writable: true });
if (typeof TextEncoder === 'undefined') {
  globalThis.TextEncoder = function TextEncoder() {};
  globalThis.TextEncoder.prototype.encode = function (text) {
    var s = unescape(encodeURIComponent(text));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  };
}
if (typeof TextDecoder === 'undefined') {
  globalThis.TextDecoder = function TextDecoder(label, options) { this.fatal = !!(options && options.fatal); };
  globalThis.TextDecoder.prototype.decode = function (bytes) {
    var s = '';
    bytes = bytes || new Uint8Array(0);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    try { return decodeURIComponent(escape(s)); } catch (error) {
      if (this.fatal) throw new TypeError('The encoded data was not valid.');
      return s;
    }
  };
}
`;

/** Bundles the workload with Metro in a child process (Metro keeps workers), into `dir`. */
export async function bundleWorkload(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'workload.bundle.js');
  await run(process.execPath, [join(appDir, 'hermes', 'metro-build.ts'), out], {
    cwd: appDir,
    env: { ...process.env, EXPO_NO_TELEMETRY: '1', EXPO_OFFLINE: '1', CI: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return out;
}

function parse(stdout: string, engine: string): WorkloadResult {
  const error = /^HUSH-ERROR (.*)$/ms.exec(stdout);
  if (error) throw new Error(`The workload failed in ${engine}: ${error[1] ?? ''}`);
  const line = stdout.split('\n').find((text) => text.startsWith('HUSH-RESULT '));
  if (!line)
    throw new Error(`The workload printed no result in ${engine}: ${stdout.slice(0, 2000)}`);
  return JSON.parse(line.slice('HUSH-RESULT '.length)) as WorkloadResult;
}

async function script(bundle: string, input: WorkloadInput, name: string): Promise<string> {
  const file = join(dirname(bundle), `${name}.js`);
  const inputLine = `globalThis.hushHermesInput = ${JSON.stringify(input)};\n`;
  await writeFile(file, PRELUDE + inputLine + (await readFile(bundle, 'utf8')));
  return file;
}

/** Compiles the bundle to optimised bytecode (as a release build does) and runs it in Hermes. */
export async function runInHermes(bundle: string, input: WorkloadInput): Promise<WorkloadResult> {
  const source = await script(bundle, input, 'hermes-input');
  const bytecode = source.replace(/\.js$/, '.hbc');
  await run(join(hermesBin, 'hermesc'), ['-O', '-w', '-emit-binary', '-out', bytecode, source]);
  const { stdout } = await run(join(hermesBin, 'hermes'), ['-Xes6-promise', bytecode], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parse(stdout, 'Hermes');
}

/** The same bundle and input in Node (V8 with its JIT), for the digests and the side-by-side times. */
export async function runInNode(bundle: string, input: WorkloadInput): Promise<WorkloadResult> {
  const source = await script(bundle, input, 'node-input');
  const { stdout } = await run(process.execPath, [source], { maxBuffer: 16 * 1024 * 1024 });
  return parse(stdout, 'Node');
}

/**
 * The workload's input as the test and the benchmark run it: a 5-minute Ogg Opus voice message made
 * in `dir` (mono, 16 kb/s, as the app records speech), 1,000 messages each way, 20 turns, a 10 MB
 * file and Prosody's 10,000 PBKDF2 iterations.
 */
export async function standardInput(dir: string): Promise<WorkloadInput> {
  const opus = await tone(join(dir, 'voice.ogg'), 300, [
    '-ac',
    '1',
    '-c:a',
    'libopus',
    '-b:a',
    '16k',
  ]);
  return { opus: Buffer.from(opus).toString('base64'), ...STANDARD_SIZES };
}

/** The standard input's sizes: messages each way, turns, file bytes, PBKDF2 iterations. */
export const STANDARD_SIZES = {
  messages: 1000,
  turns: 20,
  fileBytes: 10 * 1024 * 1024,
  iterations: 10000,
} as const;
