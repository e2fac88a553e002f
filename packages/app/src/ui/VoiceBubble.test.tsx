import { fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import type { KeptFiles, Platform } from '../platform/types';
import { PlatformContext } from './hooks';
import { Player } from './VoiceBubble';
import { loadSpeed, resetSpeedForTests } from './voice-speed';
import { validWaveform, waveformLevels, WAVEFORM_BARS } from './waveform';

const mockPlayer = {
  play: jest.fn(),
  pause: jest.fn(),
  seekTo: jest.fn(async () => undefined),
  setPlaybackRate: jest.fn(),
};
jest.mock('expo-audio', () => ({
  useAudioPlayer: () => mockPlayer,
  useAudioPlayerStatus: () => ({ playing: false, currentTime: 0, duration: 0 }),
}));

/** Kept files in memory, as the platforms keep them on disk. */
function memoryKept(): KeptFiles & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    read: async (url) => files.get(url),
    write: async (url, bytes) => void files.set(url, bytes),
  };
}

function renderPlayer(kept: KeptFiles, waveform?: readonly number[]) {
  const platform = { name: 'web', keptFiles: kept } as unknown as Platform;
  return render(
    <PlatformContext.Provider value={platform}>
      <Player uri="blob:voice" knownDurationMs={12_000} {...(waveform ? { waveform } : {})} />
    </PlatformContext.Provider>,
  );
}

beforeEach(() => {
  resetSpeedForTests();
  mockPlayer.setPlaybackRate.mockClear();
});

describe('waveform', () => {
  it('is the loudness of equal stretches, the loudest 1, silence 0', () => {
    const samples = new Float32Array(400);
    samples.fill(0.5, 0, 100);
    samples.fill(-0.25, 100, 200);
    // 200..300 silent; 300..400 alternating, as real audio does.
    for (let i = 300; i < 400; i++) samples[i] = i % 2 ? 0.1 : -0.1;
    expect(waveformLevels(samples, 4)).toEqual([1, 0.5, 0, 0.2]);
    expect(waveformLevels(new Float32Array(1000))).toEqual(new Array(WAVEFORM_BARS).fill(0));
    expect(waveformLevels(new Float32Array(3), 40)).toHaveLength(3);
    expect(waveformLevels(new Float32Array(0))).toEqual([]);
    expect(waveformLevels(Float32Array.of(NaN, 1))).toEqual([0, 1]);
  });

  it('is only taken from what was kept when it is one', () => {
    expect(validWaveform([0, 0.5, 1])).toEqual([0, 0.5, 1]);
    for (const bad of [undefined, 'x', [], [2], [-1], ['0.5'], new Array(1000).fill(0)])
      expect(validWaveform(bad)).toBeUndefined();
  });

  it('draws a bar for each level, filled as it plays; without one, a plain bar', async () => {
    const drawn = await renderPlayer(memoryKept(), [0.2, 1, 0.5]);
    expect(screen.getAllByTestId('voice-waveform-bar')).toHaveLength(3);
    expect(screen.getByLabelText('Waveform')).toBeTruthy();
    await drawn.unmount();
    await renderPlayer(memoryKept());
    expect(screen.queryByTestId('voice-waveform')).toBeNull();
  });
});

describe('playback speed', () => {
  it('goes 1×, 1.5×, 2× and round again, and the player follows', async () => {
    await renderPlayer(memoryKept());
    const button = screen.getByTestId('voice-speed');
    expect(button).toHaveTextContent('1×');
    expect(mockPlayer.setPlaybackRate).toHaveBeenLastCalledWith(1, 'high');
    await fireEvent.press(button);
    expect(button).toHaveTextContent('1.5×');
    expect(screen.getByLabelText('Playback speed 1.5×')).toBeTruthy();
    expect(mockPlayer.setPlaybackRate).toHaveBeenLastCalledWith(1.5, 'high');
    await fireEvent.press(button);
    expect(button).toHaveTextContent('2×');
    expect(mockPlayer.setPlaybackRate).toHaveBeenLastCalledWith(2, 'high');
    await fireEvent.press(button);
    expect(button).toHaveTextContent('1×');
  });

  it('is kept for the whole app and read back after a restart; junk reads as 1×', async () => {
    const kept = memoryKept();
    const first = await renderPlayer(kept);
    await fireEvent.press(screen.getByTestId('voice-speed'));
    await waitFor(() => expect(kept.files.size).toBe(1));
    await first.unmount();

    // A restart: nothing in memory, the setting on the device.
    resetSpeedForTests();
    await loadSpeed(kept);
    const second = await renderPlayer(kept);
    expect(screen.getByTestId('voice-speed')).toHaveTextContent('1.5×');
    await second.unmount();

    resetSpeedForTests();
    for (const key of kept.files.keys()) kept.files.set(key, new TextEncoder().encode('{"no'));
    await loadSpeed(kept);
    await renderPlayer(kept);
    expect(screen.getByTestId('voice-speed')).toHaveTextContent('1×');
  });
});
