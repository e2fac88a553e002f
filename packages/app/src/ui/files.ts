// Files in messages (voice messages above all): read from this device's kept copy, or fetched and
// kept (client/kept-files.ts), decrypted (aesgcm://, XEP-0454), recognised from their bytes, and
// handed to the player as a local URI.
import { useEffect, useState } from 'react';
import { inspectFile, toHushError, type FileInfo, type HushError } from '@hush/core';
import { keptFile } from '../client/kept-files';
import type { Platform } from '../platform/types';

export type FileState =
  | { readonly status: 'loading' }
  | {
      readonly status: 'ready';
      readonly uri: string;
      readonly info: FileInfo;
      readonly size: number;
    }
  | { readonly status: 'error'; readonly error: HushError };

interface Loaded {
  readonly uri: string;
  readonly info: FileInfo;
  readonly size: number;
  release(): void;
}

/** Recently shown files; the oldest are let go beyond this many. */
const KEEP = 40;
const loaded = new Map<string, Promise<Loaded>>();

function load(link: string, platform: Platform): Promise<Loaded> {
  let entry = loaded.get(link);
  if (!entry) {
    entry = (async () => {
      const bytes = await keptFile(link, platform.keptFiles);
      const info = inspectFile(bytes);
      const playable = await platform.playableUri(bytes, info.audio?.mimeType ?? info.mimeType);
      return { ...playable, info, size: bytes.length };
    })();
    // A failed download may work later (the network came back): it is not kept.
    entry.catch(() => loaded.delete(link));
    loaded.set(link, entry);
    while (loaded.size > KEEP) {
      const [oldest] = loaded;
      if (!oldest) break;
      loaded.delete(oldest[0]);
      void oldest[1].then(
        (file) => file.release(),
        () => undefined,
      );
    }
  }
  return entry;
}

export function useFile(link: string, platform: Platform): FileState {
  const [state, setState] = useState<{ link: string; state: FileState }>({
    link,
    state: { status: 'loading' },
  });
  useEffect(() => {
    let live = true;
    load(link, platform).then(
      (file) =>
        live &&
        setState({
          link,
          state: { status: 'ready', uri: file.uri, info: file.info, size: file.size },
        }),
      (error: unknown) =>
        live && setState({ link, state: { status: 'error', error: toHushError(error) } }),
    );
    return () => {
      live = false;
    };
  }, [link, platform]);
  return state.link === link ? state.state : { status: 'loading' };
}
