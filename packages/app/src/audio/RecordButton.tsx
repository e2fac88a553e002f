// Hold to record a voice message, slide left to cancel, release to send. The microphone
// permission is asked on first use; a refusal shows how to allow it instead of failing silently,
// with a way to the system settings on iOS and Android (as the QR scanner has for the camera).
// iOS and Android record AAC in M4A (every XMPP client plays it); browsers can only record Opus
// (doc/design.md, voice format policy).
import { useEffect, useState, useSyncExternalStore } from 'react';
import { Linking, PanResponder, Platform, StyleSheet, Text, View } from 'react-native';
import {
  getRecordingPermissionsAsync,
  requestRecordingPermissionsAsync,
  setAudioModeAsync,
  useAudioRecorder,
} from 'expo-audio';
import { useTranslation } from '../i18n';
import { LinkButton } from '../ui/components';
import { formatDuration } from '../ui/VoiceBubble';
import { meteredWaveform } from '../ui/waveform';
import { colors, radius } from '../ui/theme';
import { VOICE_RECORDING_OPTIONS, VoiceRecording, WebVoiceRecorder } from './voice-recording';

/** Sliding this far left (points) cancels the recording. */
const CANCEL_DISTANCE = 80;

/** A recording to send; `waveform` where the recorder metered it (phones). */
export interface VoiceRecorded {
  readonly uri: string;
  readonly mime: string;
  readonly durationMs: number;
  readonly waveform?: readonly number[];
}

export interface RecordButtonProps {
  onRecorded: (recording: VoiceRecorded) => void;
  disabled?: boolean;
}

const mime = Platform.OS === 'web' ? 'audio/webm' : 'audio/mp4';

export function RecordButton(props: RecordButtonProps) {
  // Speech settings (voice-settings.ts): AAC-LC mono on phones; on the web Hush's own recorder,
  // since expo-audio's opens the microphone without constraints (stereo, echo cancellation on).
  const nativeRecorder = useAudioRecorder(VOICE_RECORDING_OPTIONS);
  const [webRecorder] = useState(() =>
    Platform.OS === 'web' ? new WebVoiceRecorder() : undefined,
  );
  const recorder = webRecorder ?? nativeRecorder;
  const [recording] = useState(
    () =>
      new VoiceRecording({
        getPermission: getRecordingPermissionsAsync,
        requestPermission: requestRecordingPermissionsAsync,
        // Only while the button is held: leaving the app cancels the touch and the recording
        // (onPanResponderTerminate), so nothing records in the background (app.json).
        prepareAudio: () =>
          setAudioModeAsync({
            allowsRecording: true,
            playsInSilentMode: true,
            allowsBackgroundRecording: false,
            interruptionMode: 'doNotMix',
            shouldPlayInBackground: true,
            shouldRouteThroughEarpiece: false,
          }),
        // Back to expo-audio's defaults, what playback runs with before any recording: no
        // recording category on iOS, no background recording, other apps' audio not interrupted.
        restoreAudio: () =>
          setAudioModeAsync({
            allowsRecording: false,
            playsInSilentMode: true,
            allowsBackgroundRecording: false,
            interruptionMode: 'mixWithOthers',
            shouldPlayInBackground: false,
            shouldRouteThroughEarpiece: false,
          }),
      }),
  );
  const { onRecorded } = props;
  useEffect(
    () =>
      recording.onRecorded(({ uri, durationMs, metering }) => {
        const waveform = meteredWaveform(metering);
        onRecorded({ uri, mime, durationMs, ...(waveform ? { waveform } : {}) });
      }),
    [recording, onRecorded],
  );
  const [responder] = useState(() =>
    PanResponder.create({
      onStartShouldSetPanResponder: () => true,
      onMoveShouldSetPanResponder: () => true,
      onPanResponderGrant: () => void recording.press(recorder),
      onPanResponderMove: (_event, gesture) => recording.slide(gesture.dx, CANCEL_DISTANCE),
      onPanResponderRelease: () => void recording.release(recorder),
      onPanResponderTerminate: () => void recording.abort(recorder),
    }),
  );
  const state = useSyncExternalStore(recording.subscribe, recording.getSnapshot);
  const active = state.phase === 'recording';
  const { t } = useTranslation();
  // Holding is not possible with a screen reader or a keyboard: there, activating starts the
  // recording and activating again sends it; an action (or Escape) cancels it.
  const toggle = () => {
    if (props.disabled) return;
    if (active) void recording.release(recorder);
    else void recording.press(recorder);
  };
  const cancel = () => {
    if (!active) return;
    recording.slide(-CANCEL_DISTANCE - 1, CANCEL_DISTANCE);
    void recording.release(recorder);
  };
  return (
    <View style={styles.wrap}>
      {active ? (
        <View style={styles.live} testID="recording-indicator">
          <View style={styles.dot} />
          <Text style={styles.liveText} testID="recording-duration">
            {formatDuration(state.elapsedMs / 1000)}
          </Text>
          <Text style={[styles.hint, state.cancelling && styles.cancelHint]}>
            {state.cancelling ? t('record.releaseToCancel') : t('record.slideToCancel')}
          </Text>
        </View>
      ) : state.refused ? (
        <View style={styles.refusedBox}>
          <Text style={styles.refused} testID="microphone-refused">
            {Platform.OS === 'web' ? t('record.refusedWeb') : t('record.refusedPhone')}
          </Text>
          {Platform.OS === 'web' ? null : (
            <LinkButton
              title={t('record.openSettings')}
              onPress={() => void Linking.openSettings()}
              testID="microphone-settings"
            />
          )}
        </View>
      ) : state.notice ? (
        <Text style={styles.hint}>{state.notice}</Text>
      ) : null}
      <View
        {...(props.disabled ? {} : responder.panHandlers)}
        accessibilityRole="button"
        accessibilityLabel={active ? t('record.labelRecording') : t('record.label')}
        accessibilityHint={t('record.hint')}
        accessibilityState={{ disabled: props.disabled === true, selected: active }}
        aria-disabled={props.disabled === true}
        accessibilityActions={[
          { name: 'activate', label: active ? t('record.send') : t('record.start') },
          ...(active ? [{ name: 'escape', label: t('record.cancel') }] : []),
        ]}
        onAccessibilityAction={(event) => {
          if (event.nativeEvent.actionName === 'activate') toggle();
          else if (event.nativeEvent.actionName === 'escape') cancel();
        }}
        // The web: reachable with Tab; Enter or Space starts and sends, Escape cancels.
        focusable={props.disabled !== true}
        {...(Platform.OS === 'web'
          ? {
              tabIndex: props.disabled === true ? -1 : 0,
              onKeyDown: (event: {
                key?: string;
                nativeEvent?: { key?: string };
                preventDefault?: () => void;
              }) => {
                const key = event.key ?? event.nativeEvent?.key;
                if (key === 'Enter' || key === ' ') {
                  event.preventDefault?.();
                  toggle();
                } else if (key === 'Escape') cancel();
              },
            }
          : {})}
        testID="record-button"
        style={[
          styles.button,
          active && styles.buttonRecording,
          state.cancelling && styles.buttonCancel,
          props.disabled && styles.disabled,
        ]}
      >
        <MicrophoneIcon />
      </View>
    </View>
  );
}

/** Drawn, not an emoji: not every device has a font with one. */
function MicrophoneIcon() {
  return (
    <View style={styles.mic}>
      <View style={styles.micHead} />
      <View style={styles.micCup} />
      <View style={styles.micStem} />
    </View>
  );
}

const styles = StyleSheet.create({
  wrap: { flexDirection: 'row', alignItems: 'center', gap: 8, flexShrink: 1 },
  live: { flexDirection: 'row', alignItems: 'center', gap: 8 },
  dot: { width: 10, height: 10, borderRadius: 5, backgroundColor: colors.danger },
  liveText: { fontVariant: ['tabular-nums'], fontWeight: '600', color: colors.text },
  hint: { color: colors.muted, fontSize: 13, flexShrink: 1 },
  cancelHint: { color: colors.danger, fontWeight: '600' },
  refusedBox: { flexShrink: 1, maxWidth: 260, gap: 4 },
  refused: { color: colors.danger, fontSize: 13, flexShrink: 1 },
  button: {
    width: 44,
    height: 44,
    borderRadius: radius.round,
    backgroundColor: colors.accent,
    alignItems: 'center',
    justifyContent: 'center',
  },
  buttonRecording: { backgroundColor: colors.danger, transform: [{ scale: 1.15 }] },
  buttonCancel: { backgroundColor: colors.muted },
  disabled: { opacity: 0.4 },
  mic: { alignItems: 'center' },
  micHead: { width: 10, height: 16, borderRadius: 5, backgroundColor: colors.accentText },
  micCup: {
    width: 16,
    height: 8,
    marginTop: -4,
    borderBottomLeftRadius: 8,
    borderBottomRightRadius: 8,
    borderWidth: 2,
    borderTopWidth: 0,
    borderColor: colors.accentText,
  },
  micStem: { width: 2, height: 4, backgroundColor: colors.accentText },
});
