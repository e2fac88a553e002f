// How messages and devices are printed: one line for people, one JSON object a line with --json.
// A file message prints as what it is ("[Voice message 0:12]", "[Photo]", "[notes.txt]", "[File]"),
// as the app labels it, from the description its sender gave (kept with the message) or else from
// its link: the link carries the file's key and is for programs (--json), not for reading.
import {
  formatFingerprint,
  type FileDescription,
  type OmemoDeviceInfo,
  type StoredMessage,
} from '@hush/core';

const AUDIO = /\.(m4a|mp4|aac|ogg|oga|opus|webm|mp3|wav)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp|heic|avif)$/i;
const VIDEO = /\.(mov|m4v|mkv)$/i;
/** Names uploads carry that say nothing: Hush's own, and other clients' for encrypted files. */
const PLACEHOLDER = /^(encrypted|hush-file|file|blob|unnamed)(\.bin)?$/i;

/**
 * A name as printed: without control characters, which could rewrite the terminal's line, nor
 * format characters (direction overrides), which could show "photo\u202egpj.exe" as "photoexe.jpg".
 */
export const printable = (name: string): string => name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();

/** "0:12": a voice message's length. */
function formatLength(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The label of a described file: its kind by media type, else its name. */
function describedLabel(file: FileDescription): string {
  const type = file.mediaType.toLowerCase();
  if (type.startsWith('audio/')) {
    return file.durationMs !== undefined && file.durationMs > 0
      ? `Voice message ${formatLength(file.durationMs)}`
      : 'Voice message';
  }
  if (type.startsWith('image/')) return 'Photo';
  if (type.startsWith('video/')) return 'Video';
  const shown = printable(file.name);
  return shown && !PLACEHOLDER.test(shown) ? shown : 'File';
}

/**
 * The label of a file message ("Voice message 0:12", "Photo", "Video", the file's name, "File"), or
 * undefined when the body is text. A body is a file when it is exactly one aesgcm:// link, or one
 * https:// link whose path ends in a file extension (other links are text). `file`, the
 * description its sender gave, says what it is; without one, the link's name is all there is.
 */
export function fileLabel(body: string, file?: FileDescription): string | undefined {
  const text = body.trim();
  if (!/^(aesgcm|https?):\/\/\S+$/i.test(text)) return undefined;
  const path = (text.split('#')[0] ?? text).split('?')[0] ?? text;
  const encrypted = /^aesgcm:/i.test(text);
  if (file) return describedLabel(file);
  if (!encrypted && !/\/[^/]*\.[A-Za-z0-9]{2,5}$/.test(path)) return undefined;
  let name = path.slice(path.lastIndexOf('/') + 1);
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep it as it came
  }
  if (AUDIO.test(name)) return 'Voice message';
  if (IMAGE.test(name)) return 'Photo';
  if (VIDEO.test(name)) return 'Video';
  const shown = printable(name);
  return shown && !PLACEHOLDER.test(shown) ? shown : 'File';
}

export function formatMessage(message: StoredMessage): string {
  const when = new Date(message.timestamp).toISOString();
  const who = message.direction === 'in' ? message.peer : `me -> ${message.peer}`;
  // Undecryptable and failed messages say why; readable ones from a device nobody checked, or sent
  // without encryption, say that too (UntrustedSender, Unencrypted).
  const note =
    message.state === 'undecryptable' || message.state === 'failed'
      ? ` [${message.state}: ${message.failure?.message ?? ''}]`
      : message.failure
        ? ` [${message.failure.code}: ${message.failure.message}]`
        : '';
  const label = fileLabel(message.body, message.file);
  return `${when} ${who}: ${label === undefined ? message.body : `[${label}]`}${note}`;
}

/** A file's description for --json: the hash as hex, as `listen` prints received files. */
function jsonFile(file: FileDescription) {
  return {
    name: file.name,
    mediaType: file.mediaType,
    size: file.size,
    sha256: Array.from(file.sha256, (byte) => byte.toString(16).padStart(2, '0')).join(''),
    ...(file.durationMs !== undefined ? { durationMs: file.durationMs } : {}),
  };
}

export function jsonMessage(message: StoredMessage): string {
  const { id, peer, direction, body, timestamp, state, encrypted, originId, failure, file } =
    message;
  const label = fileLabel(body, file);
  return JSON.stringify({
    type: 'message',
    id,
    peer,
    direction,
    body,
    timestamp,
    state,
    encrypted,
    originId,
    failure,
    ...(label === undefined ? {} : { label }),
    ...(file ? { file: jsonFile(file) } : {}),
  });
}

export function deviceLine(device: OmemoDeviceInfo): string {
  const notes = [
    device.current ? 'this device' : undefined,
    device.active ? undefined : 'not listed',
    device.stale ? 'stale' : undefined,
  ].filter(Boolean);
  const fingerprint = device.fingerprint
    ? formatFingerprint(device.fingerprint)
    : '(key not seen yet)';
  return `${device.deviceId} ${fingerprint} ${device.trust}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}
