// Waiting in integration tests for what a real server does at its own pace.

/**
 * Polls `probe` until it gives a value (anything but undefined or false) and returns it; fails
 * naming `what` after `timeoutMs`. Polling, not a fixed sleep: a test waits exactly as long as the
 * server takes, and a timeout only bounds a failure.
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
