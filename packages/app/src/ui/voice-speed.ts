// How fast voice messages play: 1×, 1.5× or 2×, one setting for the whole app, kept on this device
// (beside the kept files, under a key of its own) so that it outlives a restart.
import { useEffect, useSyncExternalStore } from 'react';
import type { KeptFiles } from '../platform/types';

export const SPEEDS = [1, 1.5, 2] as const;
export type Speed = (typeof SPEEDS)[number];

const KEY = 'hush-setting:voice-speed';
let speed: Speed = 1;
let loading: Promise<void> | undefined;
const listeners = new Set<() => void>();

const isSpeed = (value: unknown): value is Speed => SPEEDS.includes(value as Speed);

function set(next: Speed): void {
  if (next === speed) return;
  speed = next;
  for (const listener of [...listeners]) listener();
}

/** The one after `current`, round again after the fastest. */
export function nextSpeed(current: Speed): Speed {
  return SPEEDS[(SPEEDS.indexOf(current) + 1) % SPEEDS.length] ?? 1;
}

/** Reads the kept setting once; anything unreadable counts as 1×. */
export function loadSpeed(kept: KeptFiles): Promise<void> {
  loading ??= kept
    .read(KEY)
    .then((bytes) => {
      if (!bytes) return;
      const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (isSpeed(value)) set(value);
    })
    .catch(() => undefined);
  return loading;
}

export async function saveSpeed(kept: KeptFiles, next: Speed): Promise<void> {
  set(next);
  await kept.write(KEY, new TextEncoder().encode(JSON.stringify(next))).catch(() => undefined);
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** The speed, and the function that moves it on to the next one (kept for next time). */
export function useVoiceSpeed(kept: KeptFiles): [Speed, () => void] {
  const current = useSyncExternalStore(subscribe, () => speed);
  useEffect(() => void loadSpeed(kept), [kept]);
  return [current, () => void saveSpeed(kept, nextSpeed(current))];
}

/** For tests: back to a fresh start. */
export function resetSpeedForTests(): void {
  speed = 1;
  loading = undefined;
}
