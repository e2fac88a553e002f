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
