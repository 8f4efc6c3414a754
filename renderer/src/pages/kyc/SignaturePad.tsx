import { useEffect, useRef, type PointerEvent } from 'react';

const WIDTH = 560;
const HEIGHT = 180;

/**
 * A signature drawn on screen (finger, pen or mouse) and handed over as a PNG data URL when the
 * stroke ends; null while the pad is blank. Pointer events cover mouse, touch and pen alike;
 * the pointer is captured so a stroke that leaves the pad still ends cleanly.
 */
export function SignaturePad({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string | null;
  onChange: (pngDataUrl: string | null) => void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const strokes = useRef(0);
  const signed = value !== null;

  // A saved signature (a restored draft) is painted back, so the pad shows what will be kept.
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    if (value === null) {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      strokes.current = 0;
      return;
    }
    if (strokes.current > 0) return; // drawn here: the canvas already holds it
    const img = new Image();
    img.onload = () => ctx.drawImage(img, 0, 0);
    img.src = value;
  }, [value]);

  const point = (e: PointerEvent<HTMLCanvasElement>) => {
    const canvas = e.currentTarget;
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) * canvas.width) / rect.width,
      y: ((e.clientY - rect.top) * canvas.height) / rect.height,
    };
  };

  const down = (e: PointerEvent<HTMLCanvasElement>) => {
    const ctx = e.currentTarget.getContext('2d');
    if (!ctx) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    drawing.current = true;
    const { x, y } = point(e);
    ctx.lineWidth = 2.5;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#14202b';
    ctx.beginPath();
    ctx.moveTo(x, y);
  };
  const move = (e: PointerEvent<HTMLCanvasElement>) => {
    if (!drawing.current) return;
    const ctx = e.currentTarget.getContext('2d');
    if (!ctx) return;
    const { x, y } = point(e);
    ctx.lineTo(x, y);
    ctx.stroke();
  };
  const up = (e: PointerEvent<HTMLCanvasElement>) => {
    if (!drawing.current) return;
    drawing.current = false;
    strokes.current += 1;
    onChange(e.currentTarget.toDataURL('image/png'));
  };
  const clear = () => {
    const canvas = canvasRef.current;
    canvas?.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
    strokes.current = 0;
    onChange(null);
  };

  return (
    <div className="kyc-signature" role="group" aria-label={label}>
      <canvas
        ref={canvasRef}
        className="kyc-signature-pad"
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`${label}: draw here`}
        data-testid="signature-pad"
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
      />
      <div className="row">
        <span role="status" data-testid="signature-state">
          {signed ? (
            <>
              <span aria-hidden="true">✔</span> Signed
            </>
          ) : (
            <>
              <span aria-hidden="true">✎</span> Not signed yet: sign in the box
            </>
          )}
        </span>
        <button type="button" onClick={clear}>
          Clear signature
        </button>
      </div>
    </div>
  );
}
