import { render, screen } from '@testing-library/react-native';
import { StyleSheet, type ViewStyle } from 'react-native';
import jsQR from 'jsqr';
import { formatVerificationUri } from '@hush/core';
import { QrCode, qrMatrix } from './QrCode';
import { QrShareCard } from './QrShareCard';

const uri = formatVerificationUri({
  jid: 'alice@chat.example.org',
  devices: [{ deviceId: 1234567890, fingerprint: '3f'.repeat(32) }],
});

/** Paints the rendered Views as pixels, the way a screen shows them, and reads the code back. */
function decodeRendered(testID: string): string | undefined {
  const root = screen.getByTestId(testID);
  const box = StyleSheet.flatten(root.props.style) as ViewStyle;
  const width = Number(box.width);
  const height = Number(box.height);
  const pixels = new Uint8ClampedArray(width * height * 4).fill(255);
  for (const child of root.children) {
    if (typeof child === 'string') continue;
    const run = StyleSheet.flatten(child.props.style) as ViewStyle;
    const [top, left] = [Number(run.top), Number(run.left)];
    for (let y = top; y < top + Number(run.height); y++) {
      for (let x = left; x < left + Number(run.width); x++) {
        pixels.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
      }
    }
  }
  return jsQR(pixels, width, height)?.data;
}

describe('QrCode', () => {
  it('draws a code that a scanner reads back as the same text', async () => {
    await render(<QrCode value={uri} size={240} testID="qr" />);
    expect(decodeRendered('qr')).toBe(uri);
    // This 113-character URI needs 45×45 modules at level M; with the four-module margin on each
    // side that is 53, drawn at a whole 4 px each within the 240 asked for.
    expect(qrMatrix(uri)).toHaveLength(45);
    expect(screen.getByTestId('qr').props.style).toMatchObject({ width: 212, height: 212 });
  });

  it('keeps addresses outside ASCII intact (UTF-8 byte mode)', async () => {
    const text = 'xmpp:zoë@straße.example';
    await render(<QrCode value={text} testID="qr" />);
    expect(decodeRendered('qr')).toBe(text);
  });

  it("shows this device's verification URI in Settings, or the bare address until it is known", async () => {
    const view = await render(<QrShareCard jid="alice@chat.example.org" verificationUri={uri} />);
    expect(screen.getByTestId('own-qr-link')).toHaveTextContent(uri);
    expect(decodeRendered('own-qr-code')).toBe(uri);
    await view.rerender(<QrShareCard jid="alice@chat.example.org" verificationUri={undefined} />);
    expect(decodeRendered('own-qr-code')).toBe('xmpp:alice@chat.example.org');
  });
});
