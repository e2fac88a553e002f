// A file's description as every backend keeps it: a copy that shares no bytes with the caller's, so
// a stored description cannot change behind the store's back.
import type { FileDescription } from './types.ts';

export function copyFileDescription(f: FileDescription): FileDescription {
  return {
    name: f.name,
    mediaType: f.mediaType,
    size: f.size,
    sha256: new Uint8Array(f.sha256),
    ...(f.durationMs !== undefined && { durationMs: f.durationMs }),
  };
}
