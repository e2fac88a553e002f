// Files on this machine: the ones sent (read before anything connects) and the ones received (fetched,
// decrypted, checked and kept in a folder by `listen`).
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFile, HushError, inspectFile, isHushError } from '@hush/core';
import { CliError } from './errors.ts';
import { printable } from './format.ts';

/** Reads a file to send; a missing or unreadable path is a usage error naming the path. */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a folder, not a file'
          : code === 'EACCES'
            ? 'not readable'
            : String(error);
    throw new CliError('FileNotFound', `Cannot read '${path}': ${why}.`, { cause: error });
  }
}

/** The link of a file message: a body that is exactly one aesgcm:// or https:// URL. */
export function fileLink(body: string): string | undefined {
  const text = body.trim();
  return /^(aesgcm|https):\/\/\S+$/i.test(text) ? text : undefined;
}

const EXTENSIONS: Record<string, string> = {
  'audio/mp4': 'm4a',
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
};

/**
 * Downloads, decrypts and checks a received file into `dir`, and prints what it is, with the name
 * its sender gave it where the message described it (`name`; the file is saved under its hash).
 */
export async function receiveFile(
  link: string,
  from: string,
  dir: string,
  json: boolean,
  print: (line: string) => void,
  name?: string,
): Promise<void> {
  try {
    const { bytes, encrypted } = await downloadFile(link);
    const info = inspectFile(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const extension = EXTENSIONS[info.mimeType.split(';')[0] ?? ''] ?? 'bin';
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${sha256.slice(0, 16)}.${extension}`);
    await writeFile(path, bytes, { mode: 0o600 });
    const report = {
      type: 'file',
      from,
      ...(name !== undefined ? { name } : {}),
      kind: info.kind,
      mimeType: info.mimeType,
      ...(info.audio ? { durationMs: info.audio.durationMs } : {}),
      size: bytes.length,
      sha256,
      encrypted,
      path,
    };
    print(
      json
        ? JSON.stringify(report)
        : `  ${name !== undefined ? `${printable(name)}: ` : ''}${info.kind} ${info.mimeType}${info.audio ? ` ${(info.audio.durationMs / 1000).toFixed(1)} s` : ''}, ${bytes.length} bytes, sha256 ${sha256} -> ${path}`,
    );
  } catch (error) {
    const failure = isHushError(error) ? error : new HushError('DownloadFailed', String(error));
    print(
      json
        ? JSON.stringify({ type: 'file-error', from, code: failure.code, message: failure.message })
        : `  the file could not be fetched: ${failure.message} (${failure.code})`,
    );
  }
}
