#!/usr/bin/env node
// hush-upload-service: runs the upload service with the settings in the environment (config.ts).
// Certificates are read at start: restart the service after a renewal (init.sh's renewal hook does).
import { ConfigError, readConfig } from './config.ts';
import { startUploadService } from './service.ts';
import { s3Store } from './store.ts';

try {
  const config = readConfig();
  const service = await startUploadService({ ...config.service, store: s3Store(config.s3) });
  console.log(
    `hush-upload-service: listening on ${config.service.host}:${service.port}, bucket ${config.s3.bucket}`,
  );
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`hush-upload-service: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
