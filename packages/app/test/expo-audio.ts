// expo-audio talks to native modules jest does not have: the tests get a silent stand-in.
export const RecordingPresets = { HIGH_QUALITY: {}, LOW_QUALITY: {} };

/** What the stand-in microphone permission answers; tests change it. */
export const microphone = { granted: true, canAskAgain: true };
const answer = () => ({
  ...microphone,
  status: microphone.granted ? 'granted' : 'denied',
  expires: 'never',
});
export const getRecordingPermissionsAsync = async () => answer();
export const requestRecordingPermissionsAsync = async () => answer();
export const setAudioModeAsync = async () => undefined;

export function useAudioRecorder() {
  return {
    uri: null,
    prepareToRecordAsync: async () => undefined,
    record: () => undefined,
    stop: async () => undefined,
  };
}

export function useAudioPlayer() {
  return {
    play: () => undefined,
    pause: () => undefined,
    seekTo: async () => undefined,
    setPlaybackRate: () => undefined,
  };
}

export function useAudioPlayerStatus() {
  return { playing: false, currentTime: 0, duration: 0 };
}
