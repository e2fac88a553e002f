// Errors a UI can show: each has a stable code, a human message and, where there is one, the
// underlying cause. Network input never throws anything else past the module that reads it.

export type HushErrorCode =
  | 'WrongPassword'
  | 'InviteInvalid'
  | 'InviteMalformed'
  | 'RegistrationClosed'
  | 'UsernameTaken'
  | 'InvalidUsername'
  | 'ServerUnreachable'
  | 'CertificateUntrusted'
  | 'EncryptionRequired'
  | 'NoAccount'
  | 'SendFailed'
  | 'Timeout'
  | 'NotAllowed'
  | 'InvalidPassword'
  | 'ProtocolError'
  // OMEMO (omemo/)
  | 'NoOmemoDevice'
  | 'NoTrustedDevice'
  | 'UntrustedIdentity'
  | 'Undecryptable'
  | 'NotEncryptedForDevice'
  // Files and voice messages (media/, voice/)
  | 'FileTooLarge'
  | 'QuotaExceeded'
  | 'UploadFailed'
  | 'UploadUnavailable'
  | 'DownloadFailed'
  | 'LinkExpired'
  | 'IntegrityError'
  | 'UnsupportedContent'
  | 'VoiceTooLong'
  | 'Cancelled'
  // A scanned or pasted code is readable but not the one asked for (another person's, no key).
  | 'WrongCode'
  // The device's own storage (database, browser storage) cannot be opened or read: full, refused
  // by the browser (private mode), or damaged. Nothing was changed.
  | 'StorageUnavailable'
  // Decrypted, but sent by a device the person refused or has not decided on yet (new after a
  // verification, or its key changed).
  | 'UntrustedSender'
  // Shown, but it travelled without end-to-end encryption in a conversation that has it: the
  // server, or anyone who got past TLS, could have read or written it.
  | 'Unencrypted';

export class HushError extends Error {
  readonly code: HushErrorCode;

  constructor(code: HushErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HushError';
    this.code = code;
  }
}

export function isHushError(value: unknown, code?: HushErrorCode): value is HushError {
  return value instanceof HushError && (code === undefined || value.code === code);
}

// The codes whose refusal has facts a person can act on carry them as fields, so a UI or the CLI
// can state them in its own words ("at most 10 MB") instead of parsing core's English message.

/** Over a size limit: the upload service's, the download limit, or a voice message's. */
export class FileTooLargeError extends HushError {
  /** The limit in bytes; absent when a server refused without saying its limit. */
  readonly limit: number | undefined;
  /** The file's size in bytes, where it is known (a download may stop before its end). */
  readonly size: number | undefined;

  constructor(
    message: string,
    facts: { readonly limit?: number; readonly size?: number },
    options?: { cause?: unknown },
  ) {
    super('FileTooLarge', message, options);
    this.name = 'FileTooLargeError';
    this.limit = facts.limit;
    this.size = facts.size;
  }
}

/** A recording longer than a voice message may be. */
export class VoiceTooLongError extends HushError {
  readonly limitMs: number;
  readonly durationMs: number;

  constructor(message: string, facts: { readonly limitMs: number; readonly durationMs: number }) {
    super('VoiceTooLong', message);
    this.name = 'VoiceTooLongError';
    this.limitMs = facts.limitMs;
    this.durationMs = facts.durationMs;
  }
}

/** The upload service's quota is used up. */
export class QuotaExceededError extends HushError {
  /** When the server says uploads work again (XEP-0363 §4.2 <retry stamp=…/>), if it says. */
  readonly retryAt: Date | undefined;

  constructor(message: string, facts: { readonly retryAt?: Date }, options?: { cause?: unknown }) {
    super('QuotaExceeded', message, options);
    this.name = 'QuotaExceededError';
    this.retryAt = facts.retryAt;
  }
}

/**
 * An OMEMO message that cannot go to a person's devices (NoOmemoDevice, NoTrustedDevice) or a key
 * that is not the one known (UntrustedIdentity): `jid` is the person (bare JID), `deviceId` the
 * device when one is meant, `fingerprint` the key asked for when the request named one.
 */
export class OmemoDeviceError extends HushError {
  readonly jid: string;
  readonly deviceId: number | undefined;
  readonly fingerprint: string | undefined;

  constructor(
    code: 'NoOmemoDevice' | 'NoTrustedDevice' | 'UntrustedIdentity',
    message: string,
    facts: { readonly jid: string; readonly deviceId?: number; readonly fingerprint?: string },
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'OmemoDeviceError';
    this.jid = facts.jid;
    this.deviceId = facts.deviceId;
    this.fingerprint = facts.fingerprint;
  }
}
