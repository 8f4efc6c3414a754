import { useState } from 'react';
import type { BatchProgressView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';

/**
 * Pause, resume, abort. Abort asks first, inline: no modal dialog interrupts a running batch
 * (DESIGN.md §10), and the lanes stay in view while the supervisor decides.
 */
export function RunControls({
  station,
  progress,
  onProgress,
}: {
  station: Station;
  progress: BatchProgressView;
  onProgress: (p: BatchProgressView) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const live = progress.state === 'running' || progress.state === 'paused';
  const act = (method: 'perso.pause' | 'perso.resume' | 'perso.abort') => {
    setBusy(true);
    station.call(method, {}).then(
      (p) => {
        setBusy(false);
        setError(null);
        setConfirming(false);
        onProgress(p);
      },
      (err: unknown) => {
        setBusy(false);
        setConfirming(false);
        setError(errorText(err));
      },
    );
  };
  if (!live) return <Alert text={error} />;
  return (
    <div className="run-controls" role="group" aria-label="Batch controls">
      {progress.state === 'running' ? (
        <button type="button" onClick={() => act('perso.pause')} disabled={busy}>
          <span aria-hidden="true">‖ </span>Pause
        </button>
      ) : (
        <button type="button" className="primary" onClick={() => act('perso.resume')} disabled={busy}>
          <span aria-hidden="true">▶ </span>Resume
        </button>
      )}
      {confirming ? (
        <div className="banner banner-warn confirm" role="group" aria-labelledby="abort-question">
          <p id="abort-question">
            <strong>Abort batch {progress.batchId}?</strong> Every lane stops after the card in hand; the
            batch cannot be run again.
          </p>
          <div className="row">
            <button type="button" className="danger" onClick={() => act('perso.abort')} disabled={busy}>
              Yes, abort the batch
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
              Keep running
            </button>
          </div>
        </div>
      ) : (
        <button type="button" className="danger-outline" onClick={() => setConfirming(true)} disabled={busy}>
          <span aria-hidden="true">■ </span>Abort…
        </button>
      )}
      <Alert text={error} />
    </div>
  );
}
