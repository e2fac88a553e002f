// Exit codes, kept stable for scripts:
//   0 ok · 1 unexpected error, or the profile cannot be opened · 2 usage · 3 wrong password
//   4 invite, sign-up, address or input refused
//   5 server unreachable, certificate not trusted or no answer · 6 no account in the profile
//   7 a message could not be sent · 8 the profile is busy (another hush process holds it)
//   9 a received message or file could not be read · 130 cancelled
// Every error code has exactly one exit code: the tables below are complete, the compiler checks it.
import {
  FileTooLargeError,
  isHushError,
  OmemoDeviceError,
  QuotaExceededError,
  VoiceTooLongError,
  type HushErrorCode,
} from '@hush/core';

/** What only the command line can get wrong: its arguments, local files, the profile's owner. */
export type CliErrorCode = 'Usage' | 'FileNotFound' | 'ProfileBusy' | 'OwnerGone';

export class CliError extends Error {
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
  }
}

const CLI_EXIT: Record<CliErrorCode, number> = {
  Usage: 2,
  FileNotFound: 2,
  ProfileBusy: 8,
  OwnerGone: 1,
};

const EXIT: Record<HushErrorCode, number> = {
  WrongPassword: 3,
  InviteInvalid: 4,
  InviteMalformed: 4,
  RegistrationClosed: 4,
  UsernameTaken: 4,
  InvalidUsername: 4,
  NotAllowed: 4,
  InvalidPassword: 4,
  FileTooLarge: 4,
  VoiceTooLong: 4,
  QuotaExceeded: 4,
  UnsupportedContent: 4,
  WrongCode: 4,
  StorageUnavailable: 1,
  ServerUnreachable: 5,
  CertificateUntrusted: 5,
  Timeout: 5,
  EncryptionRequired: 5,
  NoAccount: 6,
  SendFailed: 7,
  NoOmemoDevice: 7,
  NoTrustedDevice: 7,
  UntrustedIdentity: 7,
  UploadFailed: 7,
  UploadUnavailable: 7,
  DownloadFailed: 9,
  LinkExpired: 9,
  IntegrityError: 9,
  Undecryptable: 9,
  NotEncryptedForDevice: 9,
  Cancelled: 130,
  // Marks on a shown message, and a protocol fault: never the answer to a command by themselves.
  UntrustedSender: 1,
  Unencrypted: 1,
  ProtocolError: 1,
};

/** The exit code for an error, 1 for anything unexpected. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return CLI_EXIT[error.code];
  if (isHushError(error)) return EXIT[error.code];
  return 1;
}

/** Whether the error means "no connection now" (exit 5), after which a text can wait in the outbox. */
export function isOffline(error: unknown): boolean {
  return isHushError(error) && ['ServerUnreachable', 'Timeout'].includes(error.code);
}

/** 10485760 -> "10 MB", 1536 -> "1.5 KB": the units core's messages use (1 MB = 1024 KB). */
function size(bytes: number): string {
  const round = (n: number) => String(Math.round(n * 10) / 10);
  if (bytes >= 1024 * 1024) return `${round(bytes / 1024 / 1024)} MB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** 300000 -> "5:00". */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** What an error knows besides its message, as "name value" pairs for a person or a script. */
function facts(error: unknown): string[] {
  if (error instanceof FileTooLargeError) {
    return [
      ...(error.limit === undefined ? [] : [`limit ${size(error.limit)}`]),
      ...(error.size === undefined ? [] : [`size ${size(error.size)}`]),
    ];
  }
  if (error instanceof VoiceTooLongError)
    return [`limit ${duration(error.limitMs)}`, `length ${duration(error.durationMs)}`];
  if (error instanceof QuotaExceededError)
    return error.retryAt ? [`retry after ${error.retryAt.toISOString()}`] : [];
  if (error instanceof OmemoDeviceError) {
    return [
      `contact ${error.jid}`,
      ...(error.deviceId === undefined ? [] : [`device ${error.deviceId}`]),
      ...(error.fingerprint === undefined ? [] : [`fingerprint ${error.fingerprint}`]),
    ];
  }
  return [];
}

/**
 * The line a failed command prints on standard error: the message, then the code and what the
 * error knows ("hush: … (FileTooLarge; limit 10 MB, size 11.4 MB)").
 */
export function describeError(error: unknown): string {
  if (error instanceof CliError || isHushError(error)) {
    const known = facts(error);
    return `hush: ${error.message} (${error.code}${known.length ? `; ${known.join(', ')}` : ''})`;
  }
  return `hush: unexpected error: ${String(error)}`;
}
