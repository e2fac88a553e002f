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
};

export function errorTitle(error: HushError): string {
  return titles[error.code] ?? 'Something went wrong';
}
