import { useEffect, useState } from 'react';
import type { BatchProgressView, BatchSummaryView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { errorText } from '../../use-kms';
import type { ConnectionState } from '../../web-bridge';

/** How often a running batch's progress is read again between events (ms). */
const PEEK_MS = 1000;

/**
 * The running batch: fetched on (re)connect, then kept current by `perso` events. The last
 * progress of a run stays after the run ends (the station then answers null), so the final
 * counts remain on screen.
 */
export function usePersoProgress(station: Station, connection: ConnectionState, unlocked: boolean) {
  const [progress, setProgress] = useState<BatchProgressView | null>(null);
  const [samples, setSamples] = useState<RateSample[]>([]);
  useEffect(
    () =>
      station.on('perso', (p) => {
        setProgress(p);
        setSamples((list) => addSample(list, p));
      }),
    [station],
  );
  useEffect(() => {
    if (connection !== 'open' || !unlocked) return;
    let live = true;
    station.call('perso.progress', {}).then(
      (p) => live && p && setProgress(p),
      () => undefined, // the events bring it; a failed peek changes nothing on screen
    );
    return () => {
      live = false;
    };
  }, [station, connection, unlocked]);
  // The station announces at most four times a second and drops what comes in between, so a
  // lane's last change can go unannounced until the next one; a slow peek keeps the tiles true.
  const liveRun = progress !== null && (progress.state === 'running' || progress.state === 'paused');
  useEffect(() => {
    if (connection !== 'open' || !unlocked || !liveRun) return;
    const timer = setInterval(() => {
      station.call('perso.progress', {}).then(
        (p) => p && setProgress(p),
        () => undefined,
      );
    }, PEEK_MS);
    return () => clearInterval(timer);
  }, [station, connection, unlocked, liveRun]);
  return { progress, setProgress, samples };
}

/** One point of the throughput chart: cards/min as the station reported it, at a moment of a run. */
export interface RateSample {
  run: string;
  seconds: number;
  rate: number;
}

const MAX_SAMPLES = 240;

/** Appends a point; a new run (another batch, or the same one started again) starts a new chart. */
function addSample(list: RateSample[], p: BatchProgressView): RateSample[] {
  const run = `${p.batchId}@${p.startedAt}`;
  const seconds = (Date.now() - Date.parse(p.startedAt)) / 1000;
  const kept = list[0]?.run === run ? list : [];
  const last = kept.at(-1);
  // Events come up to four a second; one point a second is plenty for the eye.
  if (last && seconds - last.seconds < 1 && last.rate === p.ratePerMinute) return kept;
  const next = [...kept, { run, seconds, rate: p.ratePerMinute }];
  return next.length > MAX_SAMPLES ? next.slice(next.length - MAX_SAMPLES) : next;
}

/** The station's batches, with the running one's summary taken from its progress events. */
export function useBatches(
  station: Station,
  connection: ConnectionState,
  unlocked: boolean,
  progress: BatchProgressView | null,
) {
  const [batches, setBatches] = useState<BatchSummaryView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (connection !== 'open' || !unlocked) return;
    let live = true;
    station.call('perso.batches', {}).then(
      (list) => {
        if (!live) return;
        setBatches(list);
        setError(null);
      },
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [station, connection, unlocked, generation]);
  const running = progress?.summary;
  const merged = running ? batches.map((b) => (b.id === running.id ? running : b)) : batches;
  return { batches: merged, error, reload: () => setGeneration((g) => g + 1) };
}
