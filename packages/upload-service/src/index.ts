export { startUploadService, type ServiceOptions, type UploadService } from './service.ts';
export { s3Store, type ObjectStore, type S3Settings } from './store.ts';
export { readConfig, parseCredentials, ConfigError, type ServiceConfig } from './config.ts';
export { parseSlotPath, slotToken } from './token.ts';
