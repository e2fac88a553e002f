// The service's settings, from the environment (set by server/deploy: init.sh's systemd unit,
// local.sh, the compose file). Secrets come from files, never from the environment itself:
//
//   HUSH_UPLOAD_LISTEN          address:port to listen on                default 127.0.0.1:5282
//   HUSH_UPLOAD_TLS_CERT/_KEY   PEM files: serve HTTPS (else plain HTTP for a TLS proxy in front)
//   HUSH_UPLOAD_BASE_PATH       path of Prosody's http_upload_external_base_url   default /upload/
//   HUSH_UPLOAD_SECRET_FILE     the HMAC secret shared with Prosody (first line)   required
//   HUSH_UPLOAD_LIMIT           largest upload in bytes                  default 10485760
//   HUSH_UPLOAD_EXPIRY          seconds a file is kept                   default 604800
//   HUSH_S3_BUCKET              bucket                                   required
//   HUSH_S3_ENDPOINT            https URL of an S3-compatible server     default AWS for the region
//   HUSH_S3_REGION              region                                   default us-east-1
//   HUSH_S3_PREFIX              key prefix of every object               default hush-uploads/
//   HUSH_S3_PATH_STYLE          true: endpoint/bucket/key URLs           default true with an endpoint
//   HUSH_S3_CREDENTIALS_FILE    aws_access_key_id = ... and aws_secret_access_key = ... lines (the
//                               AWS credentials file format)             required
import { readFileSync } from 'node:fs';
import type { ServiceOptions } from './service.ts';
import type { S3Settings } from './store.ts';

export class ConfigError extends Error {
  readonly code = 'InvalidConfig';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ServiceConfig {
  readonly s3: S3Settings;
  readonly service: Omit<ServiceOptions, 'store'>;
}

type Env = Readonly<Record<string, string | undefined>>;

function readSecretFile(name: string, path: string | undefined): string {
  if (!path) throw new ConfigError(`${name} is required`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name}: cannot read ${path} (${(error as Error).message})`);
  }
  return text;
}

/** Reads `aws_access_key_id` and `aws_secret_access_key` from an AWS-style credentials file. */
export function parseCredentials(text: string): { accessKeyId: string; secretAccessKey: string } {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(aws_access_key_id|aws_secret_access_key)\s*=\s*(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2] && !values.has(match[1])) values.set(match[1], match[2]);
  }
  const accessKeyId = values.get('aws_access_key_id');
  const secretAccessKey = values.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) {
    throw new ConfigError(
      'the credentials file needs aws_access_key_id = ... and aws_secret_access_key = ... lines',
    );
  }
  return { accessKeyId, secretAccessKey };
}

function count(env: Env, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value)) throw new ConfigError(`${name}='${value}' is not a number`);
  return Number(value);
}

export function readConfig(env: Env = process.env): ServiceConfig {
  const listen = env.HUSH_UPLOAD_LISTEN || '127.0.0.1:5282';
  const at = /^\[?([0-9A-Za-z.:*-]+?)\]?:(\d{1,5})$/.exec(listen);
  if (!at?.[1] || !at[2])
    throw new ConfigError(`HUSH_UPLOAD_LISTEN='${listen}' is not address:port`);
  const basePath = env.HUSH_UPLOAD_BASE_PATH || '/upload/';
  if (!/^\/([A-Za-z0-9._~-]+\/)*$/.test(basePath)) {
    throw new ConfigError(`HUSH_UPLOAD_BASE_PATH='${basePath}' is not a path ending in /`);
  }
  const secret = readSecretFile('HUSH_UPLOAD_SECRET_FILE', env.HUSH_UPLOAD_SECRET_FILE)
    .split(/\r?\n/)[0]
    ?.trim();
  if (!secret || secret.length < 32) {
    throw new ConfigError('the secret in HUSH_UPLOAD_SECRET_FILE must be 32 characters or more');
  }
  const bucket = env.HUSH_S3_BUCKET;
  if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`HUSH_S3_BUCKET='${bucket ?? ''}' is not a bucket name`);
  }
  const endpoint = env.HUSH_S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(endpoint)) {
    throw new ConfigError(`HUSH_S3_ENDPOINT='${endpoint}' is not an http(s) URL`);
  }
  const prefix = env.HUSH_S3_PREFIX ?? 'hush-uploads/';
  if (!/^([A-Za-z0-9._-]+\/)*$/.test(prefix)) {
    throw new ConfigError(`HUSH_S3_PREFIX='${prefix}' is not a key prefix ending in /`);
  }
  const pathStyle = env.HUSH_S3_PATH_STYLE;
  if (pathStyle !== undefined && pathStyle !== '' && !/^(true|false)$/.test(pathStyle)) {
    throw new ConfigError(`HUSH_S3_PATH_STYLE='${pathStyle}' is not true or false`);
  }
  const credentials = parseCredentials(
    readSecretFile('HUSH_S3_CREDENTIALS_FILE', env.HUSH_S3_CREDENTIALS_FILE),
  );
  const cert = env.HUSH_UPLOAD_TLS_CERT;
  const key = env.HUSH_UPLOAD_TLS_KEY;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError('HUSH_UPLOAD_TLS_CERT and HUSH_UPLOAD_TLS_KEY go together');
  }
  return {
    s3: {
      endpoint,
      region: env.HUSH_S3_REGION || 'us-east-1',
      bucket,
      prefix,
      forcePathStyle: pathStyle ? pathStyle === 'true' : endpoint !== undefined,
      ...credentials,
    },
    service: {
      secret,
      basePath,
      maxBytes: count(env, 'HUSH_UPLOAD_LIMIT', 10 * 1024 * 1024),
      expirySeconds: Math.max(1, count(env, 'HUSH_UPLOAD_EXPIRY', 604800)),
      host: at[1],
      port: Number(at[2]),
      ...(cert && key
        ? {
            tls: {
              cert: readSecretFile('HUSH_UPLOAD_TLS_CERT', cert),
              key: readSecretFile('HUSH_UPLOAD_TLS_KEY', key),
            },
          }
        : {}),
    },
  };
}
