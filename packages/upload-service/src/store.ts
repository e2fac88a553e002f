// The bucket side: one object per upload, named by the slot's uuid under a prefix, holding the
// uploaded bytes (ciphertext for Hush's clients) as application/octet-stream with no metadata: no
// file name, no content type, no uploader. Bodies stream both ways.
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

export interface S3Settings {
  /** e.g. https://s3.eu-central-1.amazonaws.com; undefined: AWS's own endpoint for the region. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  /** Key prefix of every object, e.g. "hush-uploads/" ("" for the whole bucket). */
  readonly prefix: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (endpoint/bucket/key): what most S3-compatible servers need. */
  readonly forcePathStyle: boolean;
}

export interface StoredObject {
  readonly size: number;
  readonly lastModified: Date;
  /** Undefined for HEAD. */
  readonly body: Readable | undefined;
}

export interface ObjectStore {
  /** The object's size and age, or undefined when there is none. */
  head(id: string): Promise<StoredObject | undefined>;
  get(id: string, signal?: AbortSignal): Promise<StoredObject | undefined>;
  /** Streams `body` (exactly `size` bytes) into the object; rejects, storing nothing, when cut. */
  put(id: string, body: Readable, size: number, signal: AbortSignal): Promise<void>;
  /** Deletes every object last written before `before`; returns how many. */
  deleteOlderThan(before: Date): Promise<number>;
  delete(id: string): Promise<void>;
  close(): void;
}

function missing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' ||
      error.name === 'NotFound' ||
      error.$metadata.httpStatusCode === 404)
  );
}

export function s3Store(settings: S3Settings): ObjectStore {
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    credentials: {
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
    },
    // A checksum only where S3 requires one: a streamed body is then sent as it is, with its
    // Content-Length, instead of re-framed as aws-chunked with a trailing checksum, which not every
    // S3-compatible server reads.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;
  const key = (id: string) => `${settings.prefix}${id}`;

  return {
    async head(id) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key(id) }));
        return {
          size: out.ContentLength ?? 0,
          lastModified: out.LastModified ?? new Date(0),
          body: undefined,
        };
      } catch (error) {
        if (missing(error)) return undefined;
        throw error;
      }
    },
    async get(id, signal) {
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket, Key: key(id) }),
          signal ? { abortSignal: signal } : {},
        );
        return {
          size: out.ContentLength ?? 0,
          lastModified: out.LastModified ?? new Date(0),
          body: out.Body as Readable | undefined,
        };
      } catch (error) {
        if (missing(error)) return undefined;
        throw error;
      }
    },
    async put(id, body, size, signal) {
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: key(id),
          Body: body,
          ContentLength: size,
          ContentType: 'application/octet-stream',
        }),
        { abortSignal: signal },
      );
    },
    async deleteOlderThan(before) {
      let deleted = 0;
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket,
            Prefix: settings.prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        const old = (page.Contents ?? []).filter(
          (object) => object.Key && object.LastModified && object.LastModified < before,
        );
        if (old.length > 0) {
          await client.send(
            new DeleteObjectsCommand({
              Bucket,
              Delete: { Objects: old.map((object) => ({ Key: object.Key })), Quiet: true },
            }),
          );
          deleted += old.length;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return deleted;
    },
    async delete(id) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key(id) }));
    },
    close() {
      client.destroy();
    },
  };
}
