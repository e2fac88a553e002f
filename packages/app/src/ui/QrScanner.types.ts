// What the camera part of the QR scanner offers; QrScanner.native.tsx (expo-camera) and
// QrScanner.web.tsx (getUserMedia and jsQR) implement it.
export interface QrScannerProps {
  /**
   * The text of a QR code the camera sees. It comes again, frame after frame, while the code stays
   * in view: the caller ignores repeats while it handles one (or sets `paused`).
   */
  onScan: (text: string) => void;
  /** Keeps the camera open but reports nothing (while a scanned code is being handled). */
  paused?: boolean;
}
