// What push needs from the platform: a push target (an Expo push token on iOS and Android, a Web
// Push subscription in a browser), permission to show notifications, and word of a notification
// the person opened. Each platform implements it in index.web.ts or index.native.ts.
import type { PushStateStore, PushTarget } from '@hush/core';

export type PushAccess = 'granted' | 'denied' | 'undetermined' | 'unsupported';

export interface PushPlatform {
  /** Where the device keeps its push registration for `jid` between runs. */
  state(jid: string): PushStateStore;
  access(): Promise<PushAccess>;
  /**
   * Asks for permission where it has not been given (on the web only from a tap or click), then
   * subscribes with the platform's push service. `vapidPublicKey` is asked for only where needed.
   */
  target(vapidPublicKey: () => Promise<string>): Promise<PushTarget>;
  /** Drops the platform's subscription (the browser's; a phone keeps its token). */
  release(): Promise<void>;
  /** Whether the app was launched by tapping a "New message" notification. */
  openedAtLaunch(): Promise<boolean>;
  /** The person tapped a "New message" notification while the app runs. */
  onOpened(listener: () => void): () => void;
  /**
   * The target changed (the push service handed out a new token, or on phones the language of the
   * wake-up's words changed): enable push with the new one.
   */
  onTargetChanged(listener: () => void): () => void;
}
