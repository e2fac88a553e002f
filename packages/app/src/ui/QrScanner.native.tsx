// The QR scanner on iOS and Android: expo-camera's CameraView reads QR codes itself (AVFoundation
// on iOS, ML Kit on Android). The camera permission text comes from expo-camera's plugin in
// app.json.
import { useEffect, useRef } from 'react';
import { Linking, StyleSheet } from 'react-native';
import { CameraView, useCameraPermissions } from 'expo-camera';
import { QrCameraNotice } from './QrCameraNotice';
import type { QrScannerProps } from './QrScanner.types';

export function QrScanner(props: QrScannerProps) {
  const [permission, requestPermission] = useCameraPermissions();
  const asked = useRef(false);
  // The first visit asks at once: the person opened the scanner to use the camera.
  useEffect(() => {
    if (permission && !permission.granted && permission.canAskAgain && !asked.current) {
      asked.current = true;
      void requestPermission();
    }
  }, [permission, requestPermission]);

  if (!permission) return <QrCameraNotice problem="ask" />;
  if (!permission.granted) {
    return permission.canAskAgain ? (
      <QrCameraNotice problem="ask" onAllow={() => void requestPermission()} />
    ) : (
      <QrCameraNotice problem="refused" onOpenSettings={() => void Linking.openSettings()} />
    );
  }
  const { onScan, paused } = props;
  return (
    <CameraView
      testID="qr-camera"
      style={StyleSheet.absoluteFill}
      facing="back"
      barcodeScannerSettings={{ barcodeTypes: ['qr'] }}
      // Without a handler expo-camera turns barcode analysis off (build/utils/props.js).
      {...(paused ? {} : { onBarcodeScanned: (result) => onScan(result.data) })}
    />
  );
}
