// A phone's waveform for the sender's own voice message, from the recorder's levels (dBFS).
import { meteredWaveform, validWaveform, WAVEFORM_BARS } from './waveform';

test('levels in dBFS become bars, the loudest 1, as decoded samples do', () => {
  // -6 dB is half the amplitude of 0 dB; -160 dB (iOS and Android's silence) is nothing.
  expect(meteredWaveform([0, -6.0206, -160, -20])).toEqual([1, 0.5, 0, 0.1]);
  // Two levels a bar where there are twice as many as bars.
  const levels = meteredWaveform(Array.from({ length: 2 * WAVEFORM_BARS }, (_, i) => -i / 4));
  expect(levels).toHaveLength(WAVEFORM_BARS);
  expect(validWaveform(levels)).toBe(levels);
  // A level above full scale (a clipping Android peak) counts as full scale.
  expect(meteredWaveform([3, 0])).toEqual([1, 1]);
});

test('no levels, no waveform: the bubble keeps its plain bar', () => {
  expect(meteredWaveform(undefined)).toBeUndefined();
  expect(meteredWaveform([])).toBeUndefined();
  expect(meteredWaveform([-160, -160])).toEqual([0, 0]);
});
