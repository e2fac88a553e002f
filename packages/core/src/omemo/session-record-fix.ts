// Fix for a session-record growth bug in @privacyresearch/libsignal-protocol-typescript 0.0.16
// (lib/session-record.js, removeOldChains): it trims `oldRatchetList` to 10 entries but then runs
// `delete session[idx]` — on the session object, with a binary-string key — while receiving chains
// live in `session.chains` keyed by base64. Old chains (with their skipped message keys) are never
// dropped, so every sender switch adds one for good: 107 KB after 2,000 alternating messages.
//
// Why a runtime override rather than patch-package: it needs no postinstall step (install scripts
// can be disabled in CI, app builds and by npm policy), travels with core into every bundle (Metro,
// web), and crypto-provider.test.ts measures its effect. The version is pinned exactly; if a release
// fixes the bug, this override keeps the same behaviour.
import { SessionRecord } from '@privacyresearch/libsignal-protocol-typescript/lib/session-record.js';
import type { SessionType } from '@privacyresearch/libsignal-protocol-typescript';
import { encodeBase64 } from '../util/base64.ts';

/** As in the library: receiving chains kept for late messages after the sender's ratchet moved on. */
export const OLD_RATCHETS_MAX_LENGTH = 10;

/** The library's removeOldChains, deleting the chain where it actually lives. */
export function removeOldChains(session: SessionType): void {
  while (session.oldRatchetList.length > OLD_RATCHETS_MAX_LENGTH) {
    let index = 0;
    for (let i = 1; i < session.oldRatchetList.length; i++) {
      const candidate = session.oldRatchetList[i];
      const oldest = session.oldRatchetList[index];
      if (candidate && oldest && candidate.added < oldest.added) index = i;
    }
    const [oldest] = session.oldRatchetList.splice(index, 1);
    // `chains` is the library's plain object keyed by base64 public key; no Map to call delete on.
    if (oldest)
      Reflect.deleteProperty(session.chains, encodeBase64(new Uint8Array(oldest.ephemeralKey)));
  }
}

let original: SessionRecord['removeOldChains'] | undefined;

export function installSessionRecordFix(): void {
  if (original) return;
  original = SessionRecord.prototype.removeOldChains;
  SessionRecord.prototype.removeOldChains = function fixedRemoveOldChains(
    session: SessionType,
  ): void {
    removeOldChains(session);
  };
}

/** For the test that measures the bug: puts the library's own method back. */
export function uninstallSessionRecordFix(): void {
  if (!original) return;
  SessionRecord.prototype.removeOldChains = original;
  original = undefined;
}
