import type { Registration } from '../store.ts';

export type Delivery =
  | { readonly ok: true }
  /** `gone`: the push service says the endpoint no longer exists (404/410, DeviceNotRegistered). */
  | { readonly ok: false; readonly gone: boolean; readonly reason: string };

export interface PushProvider {
  wake(registration: Registration): Promise<Delivery>;
}

/**
 * What every wake-up carries: that something arrived, nothing about what or from whom. The app
 * fetches the rest over its own encrypted connection.
 */
export const WAKE_UP = { type: 'message' } as const;
/**
 * What a phone shows when the app cannot say more itself, in English: for devices that registered
 * without words of their own (protocol.ts, <words/>).
 */
export const WAKE_UP_WORDS = { title: 'Hush', body: 'New message' } as const;
/** A wake-up older than a day is not worth delivering: the app has been opened since, or will be. */
export const WAKE_UP_TTL_SECONDS = 86_400;
