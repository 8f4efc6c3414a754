import { useEffect, useId, useRef, useState } from 'react';
import type { Picture } from './form';

/** JPEG quality of a capture: a face or a document stays legible at a few tens of kB. */
const JPEG_QUALITY = 0.85;
/** The longest side of an uploaded document image after re-encoding (px). */
const MAX_SIDE = 1600;

export type CameraState = 'starting' | 'live' | 'unavailable';

/**
 * Draws a frame (video or picture) on a canvas and returns it as JPEG. Re-encoding through a
 * canvas keeps the pixels only: EXIF (GPS position, device serials, time) is dropped here, and
 * the core strips metadata again on its side.
 */
function toJpeg(source: CanvasImageSource, width: number, height: number): string {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/jpeg', JPEG_QUALITY);
}

/** Why the camera did not start, in words a dealer acts on. */
function cameraProblem(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'The camera was not allowed. Allow the camera for this station, or upload a photo instead.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera found. Connect a camera, or upload a photo instead.';
  if (name === 'NotReadableError')
    return 'The camera is in use by another program. Close it, or upload a photo instead.';
  return `The camera did not start (${err instanceof Error ? err.message : String(err)}). Upload a photo instead.`;
}

/** Why the camera cannot start before asking: only a secure context has mediaDevices at all. */
function noMediaDevices(): string | null {
  // Typed as always there; at run time an insecure page has no navigator.mediaDevices.
  return typeof (navigator.mediaDevices as MediaDevices | undefined)?.getUserMedia === 'function'
    ? null
    : 'This page cannot use a camera (not a secure context). Upload a photo instead.';
}

/**
 * The camera preview and its shutter. It exists only while a photo is wanted: getUserMedia when
 * it mounts, every track stopped when it unmounts (a photo taken, another step), so the camera
 * light is on during the capture and nowhere else.
 */
function LiveCamera({
  label,
  facing,
  onTake,
}: {
  label: string;
  facing: 'user' | 'environment';
  onTake: (jpegDataUrl: string) => void;
}) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string | null>(noMediaDevices);
  const [state, setState] = useState<CameraState>(() => (noMediaDevices() ? 'unavailable' : 'starting'));

  useEffect(() => {
    if (noMediaDevices()) return;
    const video = videoRef.current;
    let stream: MediaStream | null = null;
    let stopped = false;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: facing }, audio: false }).then(
      (s) => {
        if (stopped) {
          s.getTracks().forEach((t) => t.stop());
          return;
        }
        stream = s;
        if (video) {
          video.srcObject = s;
          video.play().catch(() => undefined); // autoplay+muted plays anyway; a refusal shows a still
        }
        setState('live');
      },
      (err: unknown) => {
        if (stopped) return;
        setState('unavailable');
        setProblem(cameraProblem(err));
      },
    );
    return () => {
      stopped = true;
      stream?.getTracks().forEach((t) => t.stop());
      if (video) video.srcObject = null;
    };
  }, [facing]);

  const take = () => {
    const video = videoRef.current;
    if (!video || video.videoWidth === 0) {
      setProblem('The camera has no picture yet: wait a moment and take the photo again.');
      return;
    }
    onTake(toJpeg(video, video.videoWidth, video.videoHeight));
  };

  return (
    <>
      <video
        ref={videoRef}
        className="kyc-video"
        autoPlay
        muted
        playsInline
        aria-label={`${label}: camera preview`}
        hidden={state === 'unavailable'}
      />
      <p className="muted" role="status" data-testid="camera-state">
        {state === 'starting'
          ? 'Starting the camera…'
          : state === 'live'
            ? 'Camera on. Frame the picture, then take it.'
            : 'Camera off.'}
      </p>
      <div className="row">
        <button type="button" className="primary" onClick={take} disabled={state !== 'live'}>
          Take photo
        </button>
      </div>
      {problem && (
        <div className="banner banner-warn" role="alert">
          {problem}
        </div>
      )}
    </>
  );
}

/**
 * A photo taken with the camera or uploaded from a file, as a JPEG data URL with its source.
 * With `camera` false it is an upload only (a document scan) and the camera never starts.
 */
export function CameraCapture({
  label,
  value,
  onChange,
  facing = 'user',
  camera = true,
}: {
  label: string;
  value: Picture | null;
  onChange: (picture: Picture | null) => void;
  facing?: 'user' | 'environment';
  /** False: upload only (a document scan), the camera is not started. */
  camera?: boolean;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const fileId = useId();

  const upload = async (file: File | undefined) => {
    if (!file) return;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) {
      setProblem(`${file.name} is not a JPEG, PNG or WebP picture.`);
      return;
    }
    try {
      const bitmap = await createImageBitmap(file);
      onChange({ dataUrl: toJpeg(bitmap, bitmap.width, bitmap.height), source: 'file' });
      bitmap.close();
      setProblem(null);
    } catch {
      setProblem(`${file.name} could not be read as a picture.`);
    }
  };

  return (
    <div className="kyc-camera" role="group" aria-label={label}>
      {value ? (
        <figure className="kyc-photo">
          <img src={value.dataUrl} alt={`${label}: captured`} data-testid="kyc-photo" />
          <figcaption>
            <span aria-hidden="true">✔</span> {value.source === 'camera' ? 'Photo taken' : 'Picture uploaded'}
          </figcaption>
          <button type="button" onClick={() => onChange(null)}>
            Retake photo
          </button>
        </figure>
      ) : camera ? (
        <LiveCamera
          label={label}
          facing={facing}
          onTake={(dataUrl) => onChange({ dataUrl, source: 'camera' })}
        />
      ) : null}
      {problem && (
        <div className="banner banner-warn" role="alert">
          {problem}
        </div>
      )}
      <div className="field">
        <label htmlFor={fileId}>
          {camera ? 'Or upload a picture' : 'Upload a picture'} (JPEG, PNG, WebP)
        </label>
        <input
          id={fileId}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          onChange={(e) => {
            void upload(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
      </div>
    </div>
  );
}
