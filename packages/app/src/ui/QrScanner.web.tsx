// The QR scanner in browsers: getUserMedia video, a frame drawn to a canvas and read by jsQR (pure
// JavaScript) 150 ms after the last one was read. expo-camera's web scanner is not used: without
// the browser's own BarcodeDetector (Debian's Chromium has none) it falls back to zxing-wasm, which
// fetches its WebAssembly from fastly.jsdelivr.net; a self-hosted messenger should need no CDN.
import { useEffect, useRef, useState } from 'react';
import { StyleSheet, View } from 'react-native';
import jsQR from 'jsqr';
import { QrCameraNotice } from './QrCameraNotice';
import type { QrScannerProps } from './QrScanner.types';

type CameraState = 'starting' | 'scanning' | 'refused' | 'unavailable';

/** Wider frames are scaled down to this before decoding: the time grows with the pixels. */
const DECODE_WIDTH = 640;
// jsQR took ~16 ms on a 640×480 camera frame with or without a code on this machine, but ~300 ms
// on random noise: the pause is counted from the end of a decode, so a slow frame never queues.
const DECODE_PAUSE_MS = 150;

const hasCamera = () => typeof globalThis.navigator?.mediaDevices?.getUserMedia === 'function';

export function QrScanner(props: QrScannerProps) {
  const video = useRef<HTMLVideoElement | null>(null);
  // getUserMedia exists only in secure contexts (https, localhost).
  const [state, setState] = useState<CameraState>(() => (hasCamera() ? 'starting' : 'unavailable'));
  const [attempt, setAttempt] = useState(0);
  // The decoding loop lives as long as the camera; it reads the latest props through refs.
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });

  useEffect(() => {
    if (!hasCamera()) return;
    let stopped = false;
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const decode = (element: HTMLVideoElement) => {
      if (latest.current.paused || !context || element.readyState < element.HAVE_CURRENT_DATA)
        return;
      const scale = Math.min(1, DECODE_WIDTH / element.videoWidth);
      const width = Math.round(element.videoWidth * scale);
      const height = Math.round(element.videoHeight * scale);
      if (width === 0 || height === 0) return;
      canvas.width = width;
      canvas.height = height;
      context.drawImage(element, 0, 0, width, height);
      // Codes are dark on light (Hush's, Conversations'); trying inverted too doubles the time.
      const code = jsQR(context.getImageData(0, 0, width, height).data, width, height, {
        inversionAttempts: 'dontInvert',
      });
      if (code?.data) latest.current.onScan(code.data);
    };
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(
        async (opened) => {
          stream = opened;
          const element = video.current;
          if (stopped || !element) {
            // Unmounted while the browser was asking: the cleanup below has already run.
            for (const track of opened.getTracks()) track.stop();
            return;
          }
          element.srcObject = opened;
          await element.play().catch(() => undefined);
          if (stopped) return;
          setState('scanning');
          const next = () => {
            decode(element);
            if (!stopped) timer = setTimeout(next, DECODE_PAUSE_MS);
          };
          timer = setTimeout(next, DECODE_PAUSE_MS);
        },
        (error: unknown) => {
          if (stopped) return;
          // NotAllowedError: the person or the browser's settings said no. NotFoundError,
          // NotReadableError (camera in use), OverconstrainedError: no camera to be had.
          const name = error instanceof Error ? error.name : '';
          setState(
            name === 'NotAllowedError' || name === 'SecurityError' ? 'refused' : 'unavailable',
          );
        },
      );
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [attempt]);

  const retry = () => {
    setState('starting');
    setAttempt((n) => n + 1);
  };
  const problem = state === 'refused' || state === 'unavailable' ? state : undefined;
  return (
    <View style={StyleSheet.absoluteFill}>
      {problem ? (
        <QrCameraNotice problem={problem} {...(hasCamera() ? { onAllow: retry } : {})} />
      ) : null}
      <video
        ref={video}
        data-testid="qr-camera"
        muted
        playsInline
        style={{
          width: '100%',
          height: '100%',
          objectFit: 'cover',
          display: problem ? 'none' : 'block',
        }}
      />
    </View>
  );
}
