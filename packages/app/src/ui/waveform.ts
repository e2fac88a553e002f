// A voice message's waveform: a few dozen bars, each the loudness of its stretch of the recording,
// worked out once from the decoded audio and kept with the file's other facts (file-labels.ts), so
// that it is never decoded again for that. Decoding needs the platform's audio decoder: the web's
// Web Audio. Where there is none the bubble shows a plain bar.
import { useEffect } from 'react';
import { keptFile } from '../client/kept-files';
import type { KeptFiles } from '../platform/types';
import { rememberFile, useFileFacts } from './file-labels';

export const WAVEFORM_BARS = 40;

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
