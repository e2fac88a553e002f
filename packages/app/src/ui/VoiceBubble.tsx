// A voice message or file in a bubble: play/pause, its waveform (or a plain bar) to seek, position
// and duration, and the playback speed (1×, 1.5×, 2×, one setting for the app); a photo shown
// inline; any other file named by its type and size, with a way to keep it under its name.
// Encrypted (aesgcm://) files are fetched and decrypted first; what they are shows from their bytes,
// and until then (or when they cannot be fetched) from what their sender described.
import { useEffect, useState } from 'react';
import {
  ActivityIndicator,
  Image,
  Pressable,
  StyleSheet,
  Text,
  View,
  type LayoutChangeEvent,
} from 'react-native';
import { useAudioPlayer, useAudioPlayerStatus } from 'expo-audio';
import { currentLanguage, fileWords, formatSize, useTranslation } from '../i18n';
import { toHushError, type HushError } from '@hush/core';
import type { KeptFiles } from '../platform/types';
import { downloadName, fileLabel, formatDuration, type BodyKind } from './message-kind';
import { errorFacts, errorTitle } from './errors';
import { useFile } from './files';
import { rememberFile, useFileFacts } from './file-labels';
import { useOptionalPlatform, usePlatform } from './hooks';
import { useVoiceSpeed, type Speed } from './voice-speed';
import { useWaveform } from './waveform';
import { colors, radius, space } from './theme';

export { formatDuration };

type FileBody = Extract<BodyKind, { kind: 'voice' | 'file' }>;

export function VoiceBubble(props: { body: FileBody }) {
  const { body } = props;
  if (body.encrypted) return <EncryptedFile link={body.url} body={body} />;
  if (body.kind === 'voice') return <Player uri={body.url} />;
  return (
    <View style={styles.file} testID="file-bubble">
      <Text style={styles.fileName}>{fileLabel(body, fileWords())}</Text>
      <Text style={styles.fileNote} selectable>
        {body.url}
      </Text>
    </View>
  );
}

function EncryptedFile(props: { link: string; body: FileBody }) {
  const { t } = useTranslation();
  const platform = usePlatform();
  const file = useFile(props.link, platform);
  const facts = useFileFacts(props.link, platform.keptFiles);
  const ready = file.status === 'ready' ? file.info : undefined;
  // What the sender described (kept with the message) comes first; what was learnt fills in.
  const known = {
    kind: props.body.kind,
    ...facts,
    ...(props.body.name ? { name: props.body.name } : {}),
    ...(props.body.mimeType ? { mimeType: props.body.mimeType } : {}),
    ...(props.body.durationMs !== undefined ? { durationMs: props.body.durationMs } : {}),
  };
  const described = props.body.mimeType ? fileLabel(known, fileWords()) : undefined;
  const waveform = useWaveform(ready?.audio ? props.link : undefined, platform.keptFiles);
  // What the bytes say is kept for the chat list's label.
  useEffect(() => {
    if (!ready) return;
    void rememberFile(platform.keptFiles, props.link, {
      mimeType: ready.audio?.mimeType ?? ready.mimeType,
      ...(ready.audio ? { durationMs: ready.audio.durationMs } : {}),
    });
  }, [ready, platform, props.link]);
  if (file.status === 'loading') {
    return (
      <View style={styles.loading} testID="file-loading">
        <ActivityIndicator color={colors.accent} />
        {described ? (
          <Text style={styles.fileName} testID="file-label">
            {described}
          </Text>
        ) : null}
        <Text style={styles.fileNote}>{t('file.fetching')}</Text>
      </View>
    );
  }
  if (file.status === 'error') {
    return (
      <View style={styles.file} testID="file-error">
        {described ? (
          <Text style={styles.fileName} testID="file-label">
            {described}
          </Text>
        ) : null}
        <Text style={styles.fileName}>{errorTitle(file.error)}</Text>
        <Text style={styles.fileNote}>{errorFacts(file.error) ?? file.error.message}</Text>
      </View>
    );
  }
  if (file.info.audio) {
    return (
      <Player
        uri={file.uri}
        knownDurationMs={file.info.audio.durationMs}
        {...(waveform ? { waveform } : {})}
      />
    );
  }
  const label = fileLabel({ ...known, mimeType: file.info.mimeType }, fileWords());
  // The name its sender described or the link's, else the one learnt here (file-labels.ts).
  const name = downloadName({ ...known, mimeType: file.info.mimeType }, fileWords());
  return (
    <ReceivedFile
      uri={file.uri}
      mimeType={file.info.mimeType}
      size={file.size}
      label={label}
      name={name}
    />
  );
}

/** Photos the platform shows inline; everything else is a named box with a way to keep it. */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

function ReceivedFile(props: {
  uri: string;
  mimeType: string;
  size: number;
  label: string;
  /** What it is saved as (message-kind.ts downloadName). */
  name: string;
}) {
  const { t } = useTranslation();
  const platform = usePlatform();
  const [error, setError] = useState<HushError | undefined>();
  const save = () =>
    void platform.saveFile(props.uri, props.mimeType, props.name).catch((failure: unknown) => {
      setError(toHushError(failure));
    });
  return (
    <View style={styles.file} testID="file-bubble">
      {INLINE.has(props.mimeType) ? (
        <Image
          source={{ uri: props.uri }}
          style={styles.image}
          resizeMode="contain"
          accessibilityLabel={props.label}
          testID="file-image"
        />
      ) : (
        <Text style={styles.fileName} testID="file-label">
          {props.label}
        </Text>
      )}
      <View style={styles.fileRow}>
        <Text style={styles.fileNote}>
          {/* A type that says nothing ("application/octet-stream") is left out. */}
          {props.mimeType === 'application/octet-stream'
            ? formatSize(props.size)
            : `${props.mimeType} · ${formatSize(props.size)}`}
        </Text>
        <Pressable accessibilityRole="button" onPress={save} testID="file-save">
          <Text style={styles.save}>
            {platform.name === 'web' ? t('file.download') : t('file.share')}
          </Text>
        </Pressable>
      </View>
      {error ? <Text style={styles.fileNote}>{error.message}</Text> : null}
    </View>
  );
}

/** A voice message's waveform, filled as far as it has played. */
export function Bars(props: { levels: readonly number[]; progress: number }) {
  const { t } = useTranslation();
  const played = Math.round(props.progress * props.levels.length);
  return (
    <View style={styles.bars} testID="voice-waveform" accessibilityLabel={t('file.waveform')}>
      {props.levels.map((level, index) => (
        <View
          // The bars never change order: their place is their identity.
          key={index}
          testID="voice-waveform-bar"
          style={[
            styles.waveBar,
            { height: `${Math.max(12, Math.round(level * 100))}%` },
            index < played && styles.waveBarPlayed,
          ]}
        />
      ))}
    </View>
  );
}

const notKept: KeptFiles = { read: async () => undefined, write: async () => undefined };

const formatSpeed = (speed: Speed) =>
  `${new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: 1 }).format(speed)}×`;

export function Player(props: {
  uri: string;
  knownDurationMs?: number;
  waveform?: readonly number[];
}) {
  const { t } = useTranslation();
  // Shown alone (a test) there is no platform: the speed is then not kept.
  const kept = useOptionalPlatform()?.keptFiles ?? notKept;
  const player = useAudioPlayer({ uri: props.uri });
  const status = useAudioPlayerStatus(player);
  const [speed, nextSpeed] = useVoiceSpeed(kept);
  useEffect(() => {
    // Pitch corrected: faster speech, not higher voices.
    player.setPlaybackRate(speed, 'high');
  }, [player, speed]);
  const [width, setWidth] = useState(1);
  // A browser recording (WebM) carries no duration in its header: the player reports none until
  // it has played through, so the one core read from the file stands in.
  const reported = Number.isFinite(status.duration) ? status.duration : 0;
  const duration = reported > 0 ? reported : (props.knownDurationMs ?? 0) / 1000;
  const position = status.currentTime || 0;
  const progress = duration > 0 ? Math.min(1, position / duration) : 0;
  const toggle = () => {
    if (status.playing) player.pause();
    else {
      if (status.didJustFinish || (duration > 0 && position >= duration - 0.05))
        void player.seekTo(0);
      player.play();
    }
  };
  return (
    <View
      style={styles.player}
      testID="voice-bubble"
      accessibilityLabel={t('file.voiceLabel', { count: Math.round(duration * 10) / 10 })}
    >
      <Pressable
        accessibilityRole="button"
        accessibilityLabel={status.playing ? t('file.pause') : t('file.play')}
        testID="voice-play"
        onPress={toggle}
        style={styles.play}
      >
        <Text style={styles.playText}>{status.playing ? '❚❚' : '▶'}</Text>
      </Pressable>
      <View style={styles.track}>
        <Pressable
          accessibilityRole="adjustable"
          accessibilityLabel={t('file.seek')}
          testID="voice-seek"
          onLayout={(e: LayoutChangeEvent) => setWidth(e.nativeEvent.layout.width || 1)}
          onPress={(e) => {
            if (duration > 0) void player.seekTo((e.nativeEvent.locationX / width) * duration);
          }}
          style={props.waveform ? styles.waveTrack : styles.bar}
        >
          {props.waveform ? (
            <Bars levels={props.waveform} progress={progress} />
          ) : (
            <View style={[styles.fill, { width: `${progress * 100}%` }]} />
          )}
        </Pressable>
        <View style={styles.below}>
          <Text style={styles.time} testID="voice-time">
            {formatDuration(position)} / {formatDuration(duration)}
          </Text>
          <Pressable
            accessibilityRole="button"
            accessibilityLabel={t('file.speed', { speed: formatSpeed(speed) })}
            testID="voice-speed"
            onPress={nextSpeed}
            hitSlop={8}
          >
            <Text style={styles.speed}>{formatSpeed(speed)}</Text>
          </Pressable>
        </View>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  player: { flexDirection: 'row', alignItems: 'center', gap: space.s, minWidth: 200 },
  play: {
    width: 36,
    height: 36,
    borderRadius: 18,
    backgroundColor: colors.accent,
    alignItems: 'center',
    justifyContent: 'center',
  },
  playText: { color: colors.accentText, fontSize: 14 },
  track: { flex: 1, gap: 2 },
  bar: {
    height: 14,
    justifyContent: 'center',
    backgroundColor: colors.border,
    borderRadius: radius.round,
    overflow: 'hidden',
  },
  fill: { position: 'absolute', left: 0, top: 0, bottom: 0, backgroundColor: colors.accent },
  waveTrack: { height: 28, justifyContent: 'center' },
  bars: { flexDirection: 'row', alignItems: 'center', height: '100%', gap: 1 },
  waveBar: { flex: 1, borderRadius: 1, backgroundColor: colors.border },
  waveBarPlayed: { backgroundColor: colors.accent },
  below: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center' },
  speed: { fontSize: 11, fontWeight: '700', color: colors.accent },
  time: { fontSize: 11, color: colors.muted },
  file: { gap: 2 },
  fileName: { fontWeight: '600', color: colors.text },
  fileNote: { fontSize: 12, color: colors.muted },
  fileRow: {
    flexDirection: 'row',
    gap: space.m,
    alignItems: 'center',
    justifyContent: 'space-between',
  },
  save: { color: colors.accent, fontWeight: '700', fontSize: 13 },
  image: { width: 240, height: 180, borderRadius: radius.s, backgroundColor: colors.border },
  loading: { flexDirection: 'row', gap: space.s, alignItems: 'center', minWidth: 160 },
});
