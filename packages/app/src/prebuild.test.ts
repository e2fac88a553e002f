// The native projects Expo generates from app.json carry what iOS and Android need for voice
// messages and the QR scanner, and nothing more: `expo prebuild` runs offline with the bundled template into a
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

test('expo prebuild: microphone and camera texts on iOS, RECORD_AUDIO and CAMERA on Android, nothing the app does not use, a light interface on both', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'hush-prebuild-'));
  try {
    for (const file of ['app.json', 'package.json', 'index.ts', 'babel.config.cjs', 'assets'])
      await cp(join(app, file), join(scratch, file), { recursive: true });
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
    assert.match(plist, /<string>xmpp<\/string>/);
    // The palette is light only (ui/theme.ts): system views (keyboard, alerts) match it.
    assert.match(plist, /<key>UIUserInterfaceStyle<\/key>\s*<string>Light<\/string>/);
    const manifest = await readFile(
      join(scratch, 'android/app/src/main/AndroidManifest.xml'),
      'utf8',
    );
    // Push notifications ("New message") need POST_NOTIFICATIONS on Android 13 and later.
    for (const permission of [
      'android.permission.RECORD_AUDIO',
      'android.permission.CAMERA',
      'android.permission.POST_NOTIFICATIONS',
    ]) {
      assert.ok(manifest.includes(`android:name="${permission}"`), permission);
    }
    // A voice message is recorded while the button is held: leaving the app cancels the touch and
    // the recording with it, so nothing records in the background (no microphone foreground
    // service, no notification for it).
    assert.ok(
      !manifest.includes('android:name="android.permission.FOREGROUND_SERVICE_MICROPHONE"'),
    );
    // A push wakes the app in the background to catch up (iOS remote notifications).
    assert.match(
      plist,
      /<key>UIBackgroundModes<\/key>\s*<array>\s*<string>remote-notification<\/string>/,
    );
    assert.doesNotMatch(manifest, /AudioRecordingService/);
    const strings = await readFile(
      join(scratch, 'android/app/src/main/res/values/strings.xml'),
      'utf8',
    );
    assert.match(
      strings,
      /<string name="expo_system_ui_user_interface_style"[^>]*>light<\/string>/,
    );
    assert.match(manifest, /<data android:scheme="xmpp"\/>/);
    const gradle = await readFile(join(scratch, 'android/app/build.gradle'), 'utf8');
    assert.match(gradle, /applicationId ['"]org\.hush\.app['"]/);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
