import QRCode from 'qrcode';
import { useMemo } from 'react';

/** A QR code drawn as SVG squares: no canvas, no data URL, nothing the CSP has to allow. */
export function QrCode({ text, label, size = 132 }: { text: string; label: string; size?: number }) {
  const { cells, n } = useMemo(() => {
    const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
    const n = qr.modules.size;
    const cells: [number, number][] = [];
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.modules.get(r, c)) cells.push([c, r]);
    return { cells, n };
  }, [text]);
  // A quiet zone of 4 modules around the symbol (ISO/IEC 18004 §6.3.8).
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`-4 -4 ${n + 8} ${n + 8}`}
      className="qr"
    >
      <rect x={-4} y={-4} width={n + 8} height={n + 8} fill="#fff" />
      {cells.map(([x, y]) => (
        <rect key={`${x}-${y}`} x={x} y={y} width={1.02} height={1.02} fill="#000" />
      ))}
    </svg>
  );
}
