// A voice message's waveform: a few dozen bars, each the loudness of its stretch of the recording,
// worked out once from the decoded audio and kept with the file's other facts (file-labels.ts), so
// that it is never decoded again for that. Decoding needs the platform's audio decoder: the web's
// Web Audio. Phones have none; there the sender's own copy gets its waveform from the recorder's
// levels read while recording (meteredWaveform), and a message received shows a plain bar.
import { useEffect } from 'react';
import { keptFile } from '../client/kept-files';
import type { KeptFiles } from '../platform/types';
import { rememberFile, useFileFacts } from './file-labels';

export const WAVEFORM_BARS = 40;
/** A metered level at or below this is silence (16-bit audio's floor is about -96 dB). */
const SILENCE_DBFS = -120;

/**
 * The loudness (root mean square) of `bars` equal stretches of `samples`, scaled so that the
 * loudest is 1, to two decimals. Silence is all zeros; fewer samples than bars give fewer bars.
 */
export function waveformLevels(samples: Float32Array, bars = WAVEFORM_BARS): number[] {
  const count = Math.min(bars, samples.length);
  if (count === 0) return [];
  const levels: number[] = [];
  for (let bar = 0; bar < count; bar++) {
    const start = Math.floor((bar * samples.length) / count);
    const end = Math.floor(((bar + 1) * samples.length) / count);
    let sum = 0;
    for (let i = start; i < end; i++) {
      const sample = samples[i] ?? 0;
      sum += Number.isFinite(sample) ? sample * sample : 0;
    }
    levels.push(Math.sqrt(sum / Math.max(1, end - start)));
  }
  const loudest = Math.max(...levels);
  return levels.map((level) => (loudest > 0 ? Math.round((level / loudest) * 100) / 100 : 0));
}

/**
 * The waveform of a recording from its recorder's levels in dBFS, read at even intervals while it
 * ran (audio/voice-recording.ts): each level as an amplitude, then bars as from decoded samples.
 */
export function meteredWaveform(dbfs: readonly number[] | undefined): number[] | undefined {
  if (!dbfs || dbfs.length === 0) return undefined;
  // iOS and Android report silence (or no reading) as -160 dB: nothing, not a faint bar.
  const amplitude = (level: number) =>
    level <= SILENCE_DBFS ? 0 : 10 ** (Math.min(level, 0) / 20);
  return waveformLevels(Float32Array.from(dbfs, amplitude));
}

/** A kept waveform as it should be, else undefined (a file edited by hand, an older format). */
export function validWaveform(value: unknown): readonly number[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 4 * WAVEFORM_BARS) return;
  return value.every((level) => typeof level === 'number' && level >= 0 && level <= 1)
    ? (value as number[])
    : undefined;
}

interface DecodingContext {
  decodeAudioData(data: ArrayBuffer): Promise<{ getChannelData(channel: number): Float32Array }>;
}
type DecodingContextClass = new (channels: number, length: number, rate: number) => DecodingContext;

/** The waveform of an audio file's bytes, where the platform can decode them (the web). */
export async function decodeWaveform(bytes: Uint8Array): Promise<number[] | undefined> {
  const Context = (globalThis as { OfflineAudioContext?: DecodingContextClass })
    .OfflineAudioContext;
  if (!Context) return undefined;
  const context = new Context(1, 1, 48_000);
  const audio = await context.decodeAudioData(bytes.slice().buffer);
  return waveformLevels(audio.getChannelData(0));
}

const working = new Set<string>();

/** The waveform of the voice message behind `link`: kept, or decoded once and then kept. */
export function useWaveform(
  link: string | undefined,
  kept: KeptFiles,
): readonly number[] | undefined {
  const facts = useFileFacts(link, kept);
  const waveform = validWaveform(facts?.waveform);
  const known = facts?.mimeType !== undefined;
  useEffect(() => {
    // Only once what is kept has been read (the mimeType comes with it), and never twice at once.
    if (!link || waveform || !known || working.has(link)) return;
    working.add(link);
    void keptFile(link, kept)
      .then(decodeWaveform)
      .then((levels) => levels && rememberFile(kept, link, { waveform: levels }))
      .catch(() => undefined);
  }, [link, kept, waveform, known]);
  return waveform;
}
