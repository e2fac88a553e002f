import assert from 'node:assert/strict';

/**
 * The error `promise` rejects with, for tests that look into it: asserted to be a `type`, and the
 * test fails if the promise resolves. (assert.rejects checks an error but does not hand it back.)
 */
export async function rejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, String(error));
    return error;
  }
  assert.fail('expected a rejection');
}
