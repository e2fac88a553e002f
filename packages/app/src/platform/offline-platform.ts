// A platform with nothing behind it: storage in memory, no keystore, no files, no notifications, no
// recorder. Component and controller tests start from it and replace what they exercise.
import { createMemoryStorage } from '@hush/core';
import type { Platform } from './types.ts';

export function offlinePlatform(overrides: Partial<Platform> = {}): Platform {
  return {
    name: 'web',
    openStorage: async () => createMemoryStorage(),
    deleteStorage: async () => undefined,
    keptFiles: { read: async () => undefined, write: async () => undefined },
    vault: () => ({
      load: async () => undefined,
      save: async () => undefined,
      forget: async () => undefined,
    }),
    defaultService: (domain) => `wss://${domain}/xmpp-websocket`,
    readRecording: async () => new Uint8Array(),
    playableUri: async () => ({ uri: 'blob:none', release: () => undefined }),
    initialInvite: async () => undefined,
    forgetInitialInvite: () => undefined,
    notifications: {
      access: () => 'unsupported',
      request: async () => 'unsupported',
      show: () => undefined,
    },
    pickFile: async () => undefined,
    showUnread: () => undefined,
    saveFile: async () => undefined,
    ...overrides,
  };
}
