// Tests that install packages or switch users need root. Outside CI they skip with the reason; in CI
// (HUSH_CI=1, set by .ci/run) a missing root fails them loudly instead of letting them pass unseen.
import assert from 'node:assert/strict';

/** `false` as root; else the skip reason, or an assertion failure when CI asked for every test. */
export function rootOnly(why: string): false | string {
  if (process.getuid?.() === 0) return false;
  assert.ok(
    process.env.HUSH_CI !== '1',
    `${why}; CI runs as root, and here the tests run as uid ${process.getuid?.() ?? '?'}`,
  );
  return why;
}
