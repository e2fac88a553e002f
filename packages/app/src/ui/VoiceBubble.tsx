// A voice message or file in a bubble: play/pause, a bar to seek, position and duration.
// Encrypted (aesgcm://) files are fetched and decrypted first; what they are shows from their bytes.
import { useState } from 'react';
import {
  ActivityIndicator,
  Pressable,
  StyleSheet,
  Text,
  View,
  type LayoutChangeEvent,
} from 'react-native';
import { useAudioPlayer, useAudioPlayerStatus } from 'expo-audio';
import type { BodyKind } from './message-kind';
import { errorTitle } from './errors';
import { useFile } from './files';
import { usePlatform } from './hooks';
import { colors, radius, space } from './theme';

type FileBody = Extract<BodyKind, { kind: 'voice' | 'file' }>;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} KB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function VoiceBubble(props: { body: FileBody }) {
  const { body } = props;
  if (body.encrypted) return <EncryptedFile link={body.url} />;
  if (body.kind === 'voice') return <Player uri={body.url} />;
  return (
    <View style={styles.file} testID="file-bubble">
      <Text style={styles.fileName}>{body.preview}</Text>
      <Text style={styles.fileNote} selectable>
        {body.url}
      </Text>
    </View>
  );
}

function EncryptedFile(props: { link: string }) {
  const file = useFile(props.link, usePlatform());
  if (file.status === 'loading') {
    return (
      <View style={styles.loading} testID="file-loading">
        <ActivityIndicator color={colors.accent} />
        <Text style={styles.fileNote}>Fetching…</Text>
      </View>
    );
  }
  if (file.status === 'error') {
    return (
      <View style={styles.file} testID="file-error">
        <Text style={styles.fileName}>{errorTitle(file.error)}</Text>
        <Text style={styles.fileNote}>{file.error.message}</Text>
      </View>
    );
  }
  if (file.info.audio) {
    return <Player uri={file.uri} knownDurationMs={file.info.audio.durationMs} />;
  }
  return (
    <View style={styles.file} testID="file-bubble">
      <Text style={styles.fileName}>File</Text>
      <Text style={styles.fileNote}>
        {file.info.mimeType} · {formatSize(file.size)}
      </Text>
    </View>
  );
}

function Player(props: { uri: string; knownDurationMs?: number }) {
  const player = useAudioPlayer({ uri: props.uri });
  const status = useAudioPlayerStatus(player);
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
      accessibilityLabel={`Voice message, ${duration.toFixed(1)} seconds`}
    >
      <Pressable
        accessibilityRole="button"
        accessibilityLabel={status.playing ? 'Pause' : 'Play'}
        testID="voice-play"
        onPress={toggle}
        style={styles.play}
      >
        <Text style={styles.playText}>{status.playing ? '❚❚' : '▶'}</Text>
      </Pressable>
      <View style={styles.track}>
        <Pressable
          accessibilityRole="adjustable"
          accessibilityLabel="Seek"
          testID="voice-seek"
          onLayout={(e: LayoutChangeEvent) => setWidth(e.nativeEvent.layout.width || 1)}
          onPress={(e) => {
            if (duration > 0) void player.seekTo((e.nativeEvent.locationX / width) * duration);
          }}
          style={styles.bar}
        >
          <View style={[styles.fill, { width: `${progress * 100}%` }]} />
        </Pressable>
        <Text style={styles.time} testID="voice-time">
          {formatDuration(position)} / {formatDuration(duration)}
        </Text>
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
  time: { fontSize: 11, color: colors.muted },
  file: { gap: 2 },
  fileName: { fontWeight: '600', color: colors.text },
  fileNote: { fontSize: 12, color: colors.muted },
  loading: { flexDirection: 'row', gap: space.s, alignItems: 'center', minWidth: 160 },
});
