// Test audio without recordings: a sine tone encoded by ffmpeg into whatever container and codec
// the arguments ask for (AAC in M4A, Opus in Ogg, WebM or MP4, ...).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Encodes `seconds` of a tone into `file` with ffmpeg's `args` (codec, format); returns its bytes. */
export async function tone(
  file: string,
  seconds: number,
  args: readonly string[],
  options: { frequency?: number } = {},
): Promise<Uint8Array> {
  const source = `sine=frequency=${options.frequency ?? 440}:duration=${seconds}`;
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', source, ...args, file]);
  return new Uint8Array(await readFile(file));
}
