// What each OMEMO version's hook (legacy-hook.ts, ../omemo2/hook.ts) takes from omemo.ts: the
// account and this device, and the steps of the decrypt path both versions share.
import type { HushError } from '../errors.ts';
import type { RandomBytes } from '../util/random.ts';
import type { SignalStore } from './signal-store.ts';

export interface HookDeps {
  readonly account: string;
  readonly ownDeviceId: () => number;
  /** When this device was made: history from before is not expected to be readable. */
  readonly createdAt: () => number;
  readonly signal: SignalStore;
  readonly randomBytes: RandomBytes;
  /** The device list's bookkeeping for a message from `sid` that names the devices `rids`. */
  readonly noticeMessage: (sender: string, sid: number, rids: readonly number[]) => Promise<void>;
  /** After a key was decrypted (`built`: the message built a new session): the trust rules' word. */
  readonly decrypted: (
    sender: string,
    sid: number,
    built: boolean,
    hold: boolean,
  ) => Promise<HushError | undefined>;
  readonly scheduleRepair: (sender: string, sid: number) => void;
}
