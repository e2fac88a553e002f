// Sending files in tests against a real upload service: a FileSender that gives up quickly, and a
// fetch whose uploads die as on a dropped mobile link. Kept out of the package's main entry, which
// does not load core.
import { FileSender, type FileSenderDeps, type HushClient, type Storage } from '@hush/core';

type Fetch = NonNullable<FileSenderDeps['fetch']>;

/** Every PUT dies mid-way, as on a dropped mobile link; other requests go through. */
export const uploadsCut: Fetch = async (url, init) => {
  if (init?.method === 'PUT') throw new TypeError('fetch failed: socket hang up');
  return fetch(url, init);
};

/** The client's file sender, retrying a failed upload once after 10 ms: tests wait out no back-off. */
export function quickFileSender(client: HushClient, storage: Storage, fetch?: Fetch): FileSender {
  return new FileSender({
    session: client.session,
    storage,
    messenger: client.messenger,
    retries: 1,
    retryDelayMs: 10,
    ...(fetch ? { fetch } : {}),
  });
}
