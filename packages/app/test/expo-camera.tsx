// expo-camera talks to native modules jest does not have: the tests get a stand-in whose camera
// permission they set, and whose CameraView they make "see" a QR code.
import { useEffect, useState } from 'react';
import { View } from 'react-native';

/** What the stand-in camera permission answers; tests change it. `requests` counts the asks. */
export const camera = { granted: true, canAskAgain: true, requests: 0 };

type BarcodeListener = (result: { type: string; data: string }) => void;
let listener: BarcodeListener | undefined;

/** The mounted CameraView sees a QR code holding `data`; false when none is scanning. */
export function showCode(data: string): boolean {
  if (!listener) return false;
  listener({ type: 'qr', data });
  return true;
}

const answer = () => ({
  granted: camera.granted,
  canAskAgain: camera.canAskAgain,
  status: camera.granted ? 'granted' : 'denied',
  expires: 'never',
});

export function useCameraPermissions() {
  const [permission, setPermission] = useState(answer);
  const request = async () => {
    camera.requests += 1;
    const now = answer();
    setPermission(now);
    return now;
  };
  return [permission, request, request] as const;
}

export function CameraView(props: { testID?: string; onBarcodeScanned?: BarcodeListener }) {
  const { onBarcodeScanned } = props;
  useEffect(() => {
    listener = onBarcodeScanned;
    return () => {
      listener = undefined;
    };
  }, [onBarcodeScanned]);
  return <View testID={props.testID} />;
}
