// How messages and devices are printed: one line for people, one JSON object a line with --json.
// A file message prints as what it is ("[Voice message]", "[Photo]", "[notes.txt]", "[File]"), as
// the app labels it: its link carries the file's key and is for programs (--json), not for reading.
import { formatFingerprint, type OmemoDeviceInfo, type StoredMessage } from '@hush/core';

const AUDIO = /\.(m4a|mp4|aac|ogg|oga|opus|webm|mp3|wav)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp|heic|avif)$/i;
const VIDEO = /\.(mov|m4v|mkv)$/i;
/** Names uploads carry that say nothing: Hush's own, and other clients' for encrypted files. */
const PLACEHOLDER = /^(encrypted|hush-file|file|blob|unnamed)(\.bin)?$/i;

/**
 * The label of a file message ("Voice message", "Photo", "Video", the file's name, "File"), or
 * undefined when the body is text. A body is a file when it is exactly one aesgcm:// link, or one
 * https:// link whose path ends in a file extension (other links are text).
 */
export function fileLabel(body: string): string | undefined {
  const text = body.trim();
  if (!/^(aesgcm|https?):\/\/\S+$/i.test(text)) return undefined;
  const path = (text.split('#')[0] ?? text).split('?')[0] ?? text;
  const encrypted = /^aesgcm:/i.test(text);
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
  // A name is shown without control characters, which could rewrite the terminal's line.
  const shown = name.replace(/\p{Cc}/gu, '').trim();
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
  const label = fileLabel(message.body);
  return `${when} ${who}: ${label === undefined ? message.body : `[${label}]`}${note}`;
}

export function jsonMessage(message: StoredMessage): string {
  const { id, peer, direction, body, timestamp, state, encrypted, originId, failure } = message;
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
    ...(fileLabel(body) === undefined ? {} : { label: fileLabel(body) }),
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
