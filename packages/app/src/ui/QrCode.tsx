// A QR code drawn with plain Views, so it needs no native SVG or canvas module on any platform.
// qrcode-generator (MIT, no dependencies) computes the matrix; each horizontal run of dark modules
// is one View, which keeps a 45×45 code to a few hundred Views.
import { useMemo } from 'react';
import { View } from 'react-native';
import qrcode from 'qrcode-generator';
import { useTranslation } from '../i18n';

/** The light margin, in modules, that ISO/IEC 18004 asks for around a code and scanners rely on. */
export const QUIET_ZONE = 4;

/**
 * The dark (true) and light modules of `text` as a QR code, at error correction level M (about
 * 15 % of the code may be unreadable): a verification URI of ~110 characters is 45×45 modules.
 */
export function qrMatrix(text: string): boolean[][] {
  // The library's byte mode keeps only each character's low byte: give it the UTF-8 bytes so
  // addresses outside ASCII survive (scanners read byte mode as UTF-8).
  const utf8 = String.fromCharCode(...new TextEncoder().encode(text));
  const code = qrcode(0, 'M');
  code.addData(utf8, 'Byte');
  code.make();
  const size = code.getModuleCount();
  return Array.from({ length: size }, (_, row) =>
    Array.from({ length: size }, (_, column) => code.isDark(row, column)),
  );
}

interface Run {
  readonly row: number;
  readonly column: number;
  readonly length: number;
}

function darkRuns(matrix: readonly (readonly boolean[])[]): Run[] {
  const runs: Run[] = [];
  matrix.forEach((modules, row) => {
    let start = -1;
    modules.forEach((dark, column) => {
      if (dark && start < 0) start = column;
      if (start >= 0 && (!dark || column === modules.length - 1)) {
        const end = dark ? column + 1 : column;
        runs.push({ row, column: start, length: end - start });
        start = -1;
      }
    });
  });
  return runs;
}

export function QrCode(props: { value: string; size?: number; testID?: string }) {
  const { t } = useTranslation();
  const matrix = useMemo(() => qrMatrix(props.value), [props.value]);
  const modules = matrix.length + 2 * QUIET_ZONE;
  // Whole pixels per module: fractional ones blur the edges scanners look for.
  const cell = Math.max(2, Math.floor((props.size ?? 240) / modules));
  const runs = useMemo(() => darkRuns(matrix), [matrix]);
  return (
    <View
      testID={props.testID}
      accessibilityRole="image"
      accessibilityLabel={t('scan.qrCode')}
      style={{ width: modules * cell, height: modules * cell, backgroundColor: '#ffffff' }}
    >
      {runs.map((run) => (
        <View
          key={`${run.row}:${run.column}`}
          style={{
            position: 'absolute',
            top: (run.row + QUIET_ZONE) * cell,
            left: (run.column + QUIET_ZONE) * cell,
            width: run.length * cell,
            height: cell,
            backgroundColor: '#000000',
          }}
        />
      ))}
    </View>
  );
}
