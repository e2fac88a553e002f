import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Messenger, MessengerEvent, StoredMessage } from '@hush/core';
import type { NotificationAccess, Notifications } from '../platform/types.ts';
import { NOTIFY_WITHIN_MS, notifyIncoming } from './notifier.ts';
import { setCurrentWords } from '../i18n/current.ts';

const NOW = 1_800_000_000_000;

function incoming(fields: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: 'm1',
    account: 'alice@example.org',
    peer: 'bob@example.org',
    direction: 'in',
    body: 'See you at eight',
    timestamp: NOW - 1000,
    state: 'received',
    encrypted: true,
    ...fields,
  };
}

function setUp(access: NotificationAccess = 'granted') {
  let emit: (event: MessengerEvent) => void = () => undefined;
  const messenger = {
    subscribe(listener: (event: MessengerEvent) => void) {
      emit = listener;
      return () => (emit = () => undefined);
    },
  } as unknown as Messenger;
  const shown: { title: string; body: string; tag: string; onOpen: () => void }[] = [];
  const notifications: Notifications = {
    access: () => access,
    request: async () => access,
    show: (note) => shown.push(note),
  };
  const state = { inFront: false, opened: [] as string[] };
  const stop = notifyIncoming(messenger, {
    notifications,
    inFront: () => state.inFront,
    nameOf: (peer) => (peer === 'bob@example.org' ? 'Bob' : undefined),
    onOpen: (peer) => state.opened.push(peer),
    now: () => NOW,
  });
  return {
    emit: (message: StoredMessage) => emit({ type: 'message', message }),
    shown,
    state,
    stop,
  };
}

describe('notifier', () => {
  it('notifies a new message while the app is not in front, one tag per chat, and opens the chat', () => {
    const { emit, shown, state } = setUp();
    emit(incoming());
    emit(incoming({ id: 'm2', body: 'aesgcm://up.example.org/f/x/voice.m4a#00ff' }));
    emit(incoming({ id: 'm3', peer: 'carol@example.org', body: 'x'.repeat(500) }));
    // A file its sender described is named as described.
    emit(
      incoming({
        id: 'm4',
        body: 'aesgcm://up.example.org/f/x/encrypted#00ff',
        file: { name: 'notes.txt', mediaType: 'text/plain', size: 3, sha256: new Uint8Array(32) },
      }),
    );
    assert.deepEqual(
      shown.map(({ title, body, tag }) => [title, body.length > 20 ? body.length : body, tag]),
      [
        ['Bob', 'See you at eight', 'hush-chat-bob@example.org'],
        ['Bob', 'Voice message', 'hush-chat-bob@example.org'],
        ['carol@example.org', 140, 'hush-chat-carol@example.org'],
        ['Bob', 'notes.txt', 'hush-chat-bob@example.org'],
      ],
    );
    shown[2]?.onOpen();
    assert.deepEqual(state.opened, ['carol@example.org']);
  });

  it('stays quiet in front, without permission, for own, read, undecryptable and old messages', () => {
    const { emit, shown, state, stop } = setUp();
    state.inFront = true;
    emit(incoming());
    state.inFront = false;
    emit(incoming({ direction: 'out' }));
    emit(incoming({ state: 'read' }));
    emit(incoming({ state: 'undecryptable', body: '' }));
    emit(incoming({ timestamp: NOW - NOTIFY_WITHIN_MS - 1 }));
    assert.equal(shown.length, 0);
    stop();
    emit(incoming());
    assert.equal(shown.length, 0, 'nothing after stop');
    for (const access of ['default', 'denied', 'unsupported'] as const) {
      const other = setUp(access);
      other.emit(incoming());
      assert.equal(other.shown.length, 0, access);
    }
  });

  it("names files in the app's language", () => {
    setCurrentWords('ru');
    try {
      const { emit, shown } = setUp();
      emit(incoming({ body: 'aesgcm://up.example.org/f/x/voice.m4a#00ff' }));
      emit(incoming({ id: 'm2', body: 'aesgcm://up.example.org/f/x/beach.jpg#00ff' }));
      emit(incoming({ id: 'm3', body: 'aesgcm://up.example.org/f/x/encrypted.bin#00ff' }));
      emit(incoming({ id: 'm4', body: 'Привет' }));
      assert.deepEqual(
        shown.map((note) => note.body),
        ['Голосовое сообщение', 'Фото', 'Файл', 'Привет'],
      );
    } finally {
      setCurrentWords('en');
    }
  });
});
