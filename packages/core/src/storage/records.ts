// Records as every backend keeps them (memory here, IndexedDB in the web app): only the known fields,
// with no extra or undefined ones, and bytes that share nothing with the caller's, so a stored record
// cannot change behind the store's back and a read hands back exactly what a persistent backend would;
// and the order SQLite gives strings, for the backends that sort by themselves.
import type {
  Conversation,
  FileDescription,
  MessageFailure,
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OutboxEntry,
  PendingUpload,
  StoredAccount,
  StoredMessage,
} from './types.ts';

// A fresh buffer even when given a Buffer or a view into a larger one: the caller keeps ownership of
// its array, and a persistent backend hands back exactly the viewed bytes as a plain Uint8Array.
export const copyBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

export function copyFileDescription(f: FileDescription): FileDescription {
  return {
    name: f.name,
    mediaType: f.mediaType,
    size: f.size,
    sha256: copyBytes(f.sha256),
    ...(f.durationMs !== undefined && { durationMs: f.durationMs }),
  };
}

export function copyMessage(m: StoredMessage): StoredMessage {
  return withFailure(m, m.failure);
}

/** A copy of `m` whose failure is `failure` (none if undefined). */
export function withFailure(m: StoredMessage, failure: MessageFailure | undefined): StoredMessage {
  return {
    id: m.id,
    account: m.account,
    peer: m.peer,
    direction: m.direction,
    body: m.body,
    timestamp: m.timestamp,
    ...(m.originId !== undefined && { originId: m.originId }),
    ...(m.stanzaId !== undefined && { stanzaId: m.stanzaId }),
    state: m.state,
    ...(failure !== undefined && { failure: { code: failure.code, message: failure.message } }),
    encrypted: m.encrypted,
    ...(m.file !== undefined && { file: copyFileDescription(m.file) }),
  };
}

export function copyOutboxEntry(e: OutboxEntry): OutboxEntry {
  return {
    id: e.id,
    account: e.account,
    messageId: e.messageId,
    stanzaXml: e.stanzaXml,
    attempts: e.attempts,
    createdAt: e.createdAt,
  };
}

export function copyAccount(a: StoredAccount): StoredAccount {
  return {
    jid: a.jid,
    service: a.service,
    ...(a.password !== undefined && { password: a.password }),
    resource: a.resource,
    ...(a.mamLastStanzaId !== undefined && { mamLastStanzaId: a.mamLastStanzaId }),
  };
}

export function copyUpload(u: PendingUpload): PendingUpload {
  return {
    id: u.id,
    account: u.account,
    peer: u.peer,
    ciphertext: copyBytes(u.ciphertext),
    key: copyBytes(u.key),
    iv: copyBytes(u.iv),
    createdAt: u.createdAt,
    attempts: u.attempts,
    ...(u.url !== undefined && { url: u.url }),
    ...(u.file !== undefined && { file: copyFileDescription(u.file) }),
  };
}

export function copyIdentity(i: OmemoIdentity): OmemoIdentity {
  return {
    deviceId: i.deviceId,
    registrationId: i.registrationId,
    publicKey: copyBytes(i.publicKey),
    privateKey: copyBytes(i.privateKey),
    createdAt: i.createdAt,
  };
}

export function copyPreKey(k: OmemoPreKey): OmemoPreKey {
  return { keyId: k.keyId, publicKey: copyBytes(k.publicKey), privateKey: copyBytes(k.privateKey) };
}

export function copySignedPreKey(k: OmemoSignedPreKey): OmemoSignedPreKey {
  return { ...copyPreKey(k), signature: copyBytes(k.signature), createdAt: k.createdAt };
}

export function copyDevice(d: OmemoDevice): OmemoDevice {
  return {
    jid: d.jid,
    deviceId: d.deviceId,
    ...(d.identityKey !== undefined && { identityKey: copyBytes(d.identityKey) }),
    trust: d.trust,
    active: d.active,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
  };
}

/**
 * Orders strings by code point, as SQLite's BINARY collation orders their UTF-8 bytes. Plain `<`
 * compares UTF-16 units and so puts characters above U+FFFF before U+E000..U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i))
      return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

/**
 * The conversations of the messages `records` (one account's): for each peer its latest message by
 * `order` and how many incoming ones are not read, the latest conversation first.
 */
export function conversationsOf<R>(
  records: Iterable<R>,
  messageOf: (record: R) => StoredMessage,
  order: (a: R, b: R) => number,
): Conversation[] {
  const byPeer = new Map<string, { last: R; unread: number }>();
  for (const record of records) {
    const m = messageOf(record);
    const entry = byPeer.get(m.peer) ?? { last: record, unread: 0 };
    if (order(record, entry.last) > 0) entry.last = record;
    if (m.direction === 'in' && m.state !== 'read') entry.unread++;
    byPeer.set(m.peer, entry);
  }
  return [...byPeer.entries()]
    .sort(([, a], [, b]) => order(b.last, a.last))
    .map(([peer, { last, unread }]) => ({
      peer,
      lastMessage: copyMessage(messageOf(last)),
      unread,
    }));
}
