// How messages and devices are printed: one line for people, one JSON object a line with --json.
import { formatFingerprint, type OmemoDeviceInfo, type StoredMessage } from '@hush/core';

export function formatMessage(message: StoredMessage): string {
  const when = new Date(message.timestamp).toISOString();
  const who = message.direction === 'in' ? message.peer : `me -> ${message.peer}`;
  const note =
    message.state === 'undecryptable' || message.state === 'failed'
      ? ` [${message.state}: ${message.failure?.message ?? ''}]`
      : '';
  return `${when} ${who}: ${message.body}${note}`;
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
