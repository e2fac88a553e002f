#!/usr/bin/env node
// hush-upload-service: runs the upload service with the settings in the environment (config.ts).
// A renewed certificate (the same files, rewritten) is picked up within ten minutes.
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, readConfig } from './config.ts';
import { startUploadService } from './service.ts';
import { s3Store } from './store.ts';

try {
  const config = readConfig();
  const service = await startUploadService({ ...config.service, store: s3Store(config.s3) });
  console.log(
    `hush-upload-service: listening on ${config.service.host}:${service.port}, bucket ${config.s3.bucket}`,
  );
  const cert = process.env.HUSH_UPLOAD_TLS_CERT;
  const key = process.env.HUSH_UPLOAD_TLS_KEY;
  if (cert && key) {
    const stamp = () => `${statSync(cert).mtimeMs} ${statSync(key).mtimeMs}`;
    let seen = stamp();
    setInterval(() => {
      try {
        const now = stamp();
        if (now === seen) return;
        service.setCertificate({
          cert: readFileSync(cert, 'utf8'),
          key: readFileSync(key, 'utf8'),
        });
        seen = now;
        console.log('hush-upload-service: loaded the renewed certificate');
      } catch (error) {
        console.error(
          `hush-upload-service: the certificate could not be reloaded: ${String(error)}`,
        );
      }
    }, 600_000).unref();
  }
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
