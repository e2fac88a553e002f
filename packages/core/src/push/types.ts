/** The push services a Hush gateway sends wake-ups through. */
export type PushProvider = 'expo' | 'webpush' | 'unifiedpush';

/** Where this device is woken: what its push service gave the app. */
export interface PushTarget {
  readonly provider: PushProvider;
  /** An Expo push token, or the https URL of a Web Push subscription or UnifiedPush endpoint. */
  readonly endpoint: string;
  /** A Web Push subscription's RFC 8291 keys (base64url); optional for UnifiedPush. */
  readonly keys?: { readonly p256dh: string; readonly auth: string };
  /**
   * What a phone shows for a wake-up, in the app's language: the gateway puts them in the Expo
   * notification, which the phone shows without the app. English when not given; browsers' service
   * workers have their own.
   */
  readonly words?: { readonly title: string; readonly body: string };
}

/** A target registered with a gateway: what the device enables on its server. */
export interface PushRegistration extends PushTarget {
  /** The gateway's address, e.g. push.example.org. */
  readonly gateway: string;
  readonly node: string;
  readonly secret: string;
}

/** Where a device keeps its registration between runs (the app's own storage). */
export interface PushStateStore {
  load(): Promise<PushRegistration | undefined>;
  save(registration: PushRegistration | undefined): Promise<void>;
}

export function memoryPushState(): PushStateStore {
  let current: PushRegistration | undefined;
  return {
    load: () => Promise.resolve(current),
    save(registration) {
      current = registration;
      return Promise.resolve();
    },
  };
}
