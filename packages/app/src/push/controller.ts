// Push for the logged-in account on this device, for the settings screen: on or off, and why not.
// A plain class with a status and subscribe/getSnapshot, bound to React with useSyncExternalStore.
import { isHushError, type Push } from '@hush/core';
import type { PushPlatform } from './types.ts';

export type PushStatus = 'off' | 'on' | 'working' | 'denied' | 'unsupported' | 'failed';

/** What the controller uses of core's Push (a stand-in in tests). */
export type PushSession = Pick<Push, 'enable' | 'disable' | 'current' | 'vapidPublicKey'>;

export class PushController {
  private readonly platform: PushPlatform;
  private readonly push: PushSession;
  private readonly listeners = new Set<() => void>();
  private readonly stop: (() => void)[] = [];
  private status: PushStatus = 'working';
  /** The target changed while an enable was under way, which may have read the old one. */
  private changedMeanwhile = false;

  constructor(platform: PushPlatform, push: PushSession) {
    this.platform = platform;
    this.push = push;
    // A new token or new words while push is on: registered again, the old one dropped by core.
    // During an enable, once more after it, if push ends up on.
    this.stop.push(
      platform.onTargetChanged(() => {
        if (this.status === 'on') void this.enable();
        else if (this.status === 'working') this.changedMeanwhile = true;
      }),
    );
  }

  /** Reads whether push is on for this device. */
  async load(): Promise<void> {
    const access = await this.platform.access();
    if (access === 'unsupported') return this.set('unsupported');
    if ((await this.push.current()) === undefined) return this.set('off');
    if (access === 'denied') return this.set('denied');
    this.set('on');
    // The token may have changed while the app was not running.
    await this.enable();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): PushStatus => this.status;

  private set(status: PushStatus): void {
    this.status = status;
    for (const listener of this.listeners) listener();
  }

  async enable(): Promise<void> {
    this.set('working');
    this.changedMeanwhile = false;
    try {
      const target = await this.platform.target(() => this.push.vapidPublicKey());
      await this.push.enable(target);
      if (this.changedMeanwhile) return await this.enable();
      this.set('on');
    } catch (error) {
      if (error instanceof PushDenied) this.set('denied');
      else if (error instanceof PushUnsupported || isHushError(error, 'NotAllowed'))
        this.set('unsupported');
      else this.set('failed');
    }
  }

  /** Turns push off; also at log-out and before the account is deleted. */
  async disable(): Promise<void> {
    this.set('working');
    try {
      await this.push.disable();
      await this.platform.release().catch(() => undefined);
      this.set('off');
    } catch {
      this.set('failed');
    }
  }

  close(): void {
    for (const stop of this.stop.splice(0)) stop();
    this.listeners.clear();
  }
}

/** The person (or the browser's site settings) refused notifications. */
export class PushDenied extends Error {
  constructor() {
    super('Notifications are not allowed');
    this.name = 'PushDenied';
  }
}

/** The platform has no push service (a browser without PushManager, a simulator). */
export class PushUnsupported extends Error {
  constructor(message = 'No push service here') {
    super(message);
    this.name = 'PushUnsupported';
  }
}
