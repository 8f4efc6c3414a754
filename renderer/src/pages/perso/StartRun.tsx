import { useState, type FormEvent } from 'react';
import type { BatchProgressView, BatchSummaryView, ReaderInfo } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';

type Handler = 'manual' | 'auto';

/** Which readers run the batch (every one by default) and who swaps the cards, then Start. */
export function StartRun({
  station,
  batch,
  readers,
  blockedBy,
  onStarted,
}: {
  station: Station;
  batch: BatchSummaryView;
  readers: ReaderInfo[];
  /** Another batch that is running now: one batch runs at a time. */
  blockedBy: string | null;
  onStarted: (p: BatchProgressView) => void;
}) {
  // Unticked readers are remembered, so a reader plugged in later is ticked like the rest.
  const [unticked, setUnticked] = useState<ReadonlySet<string>>(new Set());
  const [handler, setHandler] = useState<Handler>('manual');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = readers.filter((r) => !unticked.has(r.name)).map((r) => r.name);
  const finishedBatch = batch.state === 'done' || batch.state === 'aborted';
  const toggle = (name: string, on: boolean) =>
    setUnticked((set) => {
      const next = new Set(set);
      if (on) next.delete(name);
      else next.add(name);
      return next;
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const names = chosen.length === readers.length ? ('all' as const) : chosen;
    station.call('perso.start', { batchId: batch.id, readers: names, handler }).then(
      (p) => {
        setBusy(false);
        setError(null);
        onStarted(p);
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  if (finishedBatch) {
    return (
      <p className="muted" data-testid="start-closed">
        This batch is {batch.state === 'done' ? 'done' : 'aborted'}: it does not run again.
      </p>
    );
  }
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="start-title">
      <h4 id="start-title">Run this batch</h4>
      <fieldset>
        <legend>Readers</legend>
        {readers.length === 0 ? (
          <p className="muted">No reader is attached.</p>
        ) : (
          <ul className="checklist">
            {readers.map((r) => (
              <li key={r.name}>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={!unticked.has(r.name)}
                    onChange={(e) => toggle(r.name, e.target.checked)}
                  />{' '}
                  {r.name}{' '}
                  <span className="muted">
                    ({r.state === 'present' ? 'card present' : r.state === 'mute' ? 'card mute' : 'no card'})
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <fieldset>
        <legend>Card handling</legend>
        <label className="inline">
          <input
            type="radio"
            name="handler"
            value="manual"
            checked={handler === 'manual'}
            onChange={() => setHandler('manual')}
          />{' '}
          Manual: an operator removes each finished card and inserts the next
        </label>
        <label className="inline">
          <input
            type="radio"
            name="handler"
            value="auto"
            checked={handler === 'auto'}
            onChange={() => setHandler('auto')}
          />{' '}
          Automatic: a card handler swaps the cards
        </label>
      </fieldset>
      {blockedBy && (
        <p className="banner banner-warn" role="status">
          Batch {blockedBy} has a run in progress (running or paused): one batch runs at a time.
        </p>
      )}
      <Alert text={error} />
      <button type="submit" className="primary" disabled={busy || chosen.length === 0 || blockedBy !== null}>
        Start on {chosen.length === readers.length ? 'all' : chosen.length} reader
        {chosen.length === 1 ? '' : 's'}
      </button>
    </form>
  );
}
