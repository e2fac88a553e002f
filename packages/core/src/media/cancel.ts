// Cancellation for transfers: every way an AbortSignal can surface (fetch's AbortError, a body read
// failing, a wait between retries, an IQ that cannot itself be aborted) becomes HushError('Cancelled').
import { HushError } from '../errors.ts';

export function cancelledError(cause?: unknown): HushError {
  return new HushError('Cancelled', 'The transfer was cancelled.', { cause });
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal.reason);
}

/** True when `error` is (or was caused by) the caller aborting. */
export function isCancellation(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  return error instanceof HushError
    ? error.code === 'Cancelled'
    : (error as { name?: unknown } | null)?.name === 'AbortError';
}

/** Settles with `promise`, or rejects with Cancelled as soon as `signal` aborts. */
export function untilCancelled<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelledError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return untilCancelled(
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
    signal,
  ).finally(() => clearTimeout(timer));
}
