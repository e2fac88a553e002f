// The native projects Expo generates from app.json carry what iOS and Android need for voice
// messages and the QR scanner: `expo prebuild` runs offline with the bundled template into a
// scratch copy of the app, and the generated Info.plist and AndroidManifest.xml are read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const app = fileURLToPath(new URL('..', import.meta.url));
const root = join(app, '../..');

test('expo prebuild: microphone and camera texts and background audio on iOS; RECORD_AUDIO, CAMERA, notifications and a microphone foreground service on Android', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'hush-prebuild-'));
  try {
    for (const file of ['app.json', 'package.json', 'index.ts', 'babel.config.cjs'])
      await cp(join(app, file), join(scratch, file));
    await symlink(join(root, 'node_modules'), join(scratch, 'node_modules'));
    await promisify(execFile)(
      process.execPath,
      [
        join(root, 'node_modules/expo/bin/cli'),
        'prebuild',
        '--no-install',
        '--platform',
        'all',
        '--clean',
        '--template',
        join(root, 'node_modules/expo/template.tgz'),
      ],
      {
        cwd: scratch,
        env: { ...process.env, EXPO_NO_TELEMETRY: '1', EXPO_OFFLINE: '1', CI: '1' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const plist = await readFile(join(scratch, 'ios/Hush/Info.plist'), 'utf8');
    assert.match(plist, /<key>NSMicrophoneUsageDescription<\/key>\s*<string>Hush records voice/);
    assert.match(
      plist,
      /<key>NSCameraUsageDescription<\/key>\s*<string>Hush uses the camera to scan QR codes/,
    );
    assert.match(plist, /<key>UIBackgroundModes<\/key>\s*<array>[\s\S]*<string>audio<\/string>/);
    assert.match(plist, /<string>xmpp<\/string>/);
    const manifest = await readFile(
      join(scratch, 'android/app/src/main/AndroidManifest.xml'),
      'utf8',
    );
    for (const permission of [
      'android.permission.RECORD_AUDIO',
      'android.permission.POST_NOTIFICATIONS',
      'android.permission.FOREGROUND_SERVICE_MICROPHONE',
      'android.permission.CAMERA',
    ]) {
      assert.ok(manifest.includes(`android:name="${permission}"`), permission);
    }
    assert.match(manifest, /AudioRecordingService"[^>]*android:foregroundServiceType="microphone"/);
    assert.match(manifest, /<data android:scheme="xmpp"\/>/);
    const gradle = await readFile(join(scratch, 'android/app/build.gradle'), 'utf8');
    assert.match(gradle, /applicationId ['"]org\.hush\.app['"]/);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
