// Titles for the typed errors core reports; the detail line is the error's own message.
import type { HushError, HushErrorCode } from '@hush/core';

const titles: Partial<Record<HushErrorCode, string>> = {
  WrongPassword: 'Wrong address or password',
  InviteInvalid: 'This invite was already used or has expired',
  InviteMalformed: 'That is not an invite link',
  RegistrationClosed: 'Sign-up refused',
  UsernameTaken: 'That name is taken',
  InvalidUsername: 'That name cannot be used',
  InvalidPassword: 'Choose another password',
  ServerUnreachable: 'The server cannot be reached',
  CertificateUntrusted: "The server's certificate is not trusted",
  EncryptionRequired: 'The server does not offer a secure login',
  Timeout: 'The server did not answer in time',
  NotAllowed: 'The server does not allow this',
  UploadUnavailable: 'Voice messages are not available yet',
  VoiceTooLong: 'Voice message too long',
  FileTooLarge: 'File too large',
  QuotaExceeded: 'Upload quota reached for today',
  UploadFailed: 'The upload failed; it is retried',
  LinkExpired: 'This file has expired on the server',
  DownloadFailed: 'The file could not be downloaded',
  IntegrityError: 'The file was altered on its way',
  UnsupportedContent: 'This file cannot be played here',
  NoOmemoDevice: 'Your contact has no encryption set up',
  NoTrustedDevice: 'None of your contact’s devices is trusted',
  UntrustedIdentity: 'Your contact’s keys changed: check them first',
  Undecryptable: 'This message could not be decrypted',
  NotEncryptedForDevice: 'This message was not encrypted for this device',
  WrongCode: 'Not the code of this contact',
  UntrustedSender: 'Sent from a device that is not trusted',
};

export function errorTitle(error: HushError): string {
  return titles[error.code] ?? 'Something went wrong';
}
