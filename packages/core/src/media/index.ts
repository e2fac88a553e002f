// XEP-0363 HTTP File Upload — https://xmpp.org/extensions/xep-0363.html
// XEP-0454 OMEMO Media Sharing — https://xmpp.org/extensions/xep-0454.html
// Files: AES-256-GCM encryption shared as aesgcm:// links, uploaded over HTTP upload, downloaded back.
export {
  encryptFile,
  decryptFile,
  encryptFileAsync,
  decryptFileAsync,
  formatAesgcmUrl,
  parseAesgcmUrl,
  AESGCM_KEY_BYTES,
  AESGCM_IV_BYTES,
  AESGCM_TAG_BYTES,
  installNativeAesGcm,
} from './aesgcm.ts';
export type { EncryptedFile, AesgcmLink, NativeAesGcm } from './aesgcm.ts';
export { uploadFile, uploadEncryptedFile } from './upload.ts';
export { discoverUploadService, requestUploadSlot, NS_HTTP_UPLOAD } from './slot.ts';
export type { EncryptedUploadOptions } from './upload.ts';
export { downloadFile, DEFAULT_MAX_DOWNLOAD_BYTES } from './download.ts';
export type {
  FetchFunction,
  ProgressListener,
  UploadService,
  UploadSlot,
  SlotRequest,
  FileToUpload,
  UploadOptions,
  UploadResult,
  EncryptedUploadResult,
  DownloadOptions,
  DownloadResult,
} from './types.ts';
export {
  fileSharingElements,
  buildFileSharing,
  parseFileSharing,
  readFileSharing,
  verifySharedFile,
  FileSharingError,
} from './file-sharing.ts';
export type { SharedFile } from './file-sharing.ts';
