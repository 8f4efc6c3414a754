import type { BatchProgressView, ReaderInfo } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { duration, finished, remaining, runStateText } from './format';
import { LaneTile } from './LaneTile';
import { RunControls } from './RunControls';
import { ThroughputChart } from './ThroughputChart';
import type { RateSample } from './use-perso';

/** The batch as it runs: big counters, the progress bar, throughput, and a tile per reader lane. */
export function RunView({
  station,
  progress,
  samples,
  readers,
  onProgress,
  onSwap,
}: {
  station: Station;
  progress: BatchProgressView;
  samples: RateSample[];
  readers: ReaderInfo[];
  onProgress: (p: BatchProgressView) => void;
  onSwap: (reader: string, removeFirst: boolean) => void;
}) {
  const { summary } = progress;
  const done = finished(summary);
  const percent = summary.cardCount ? Math.floor((done / summary.cardCount) * 100) : 0;
  const simulated = new Set(readers.filter((r) => r.source === 'sim').map((r) => r.name));
  return (
    <section className="run" aria-labelledby="run-title" data-testid="run-view" data-state={progress.state}>
      <h3 id="run-title">
        Run of {progress.batchId}:{' '}
        <span className={`run-state run-${progress.state}`} data-testid="run-state">
          {runStateText[progress.state]}
        </span>
      </h3>
      <RunControls station={station} progress={progress} onProgress={onProgress} />
      <div className="progress-line">
        <label htmlFor="batch-progress" id="batch-progress-label">
          Cards finished (verified or rejected)
        </label>
        <progress id="batch-progress" max={summary.cardCount} value={done} data-testid="batch-progress" />
        <span className="progress-text">
          {done} of {summary.cardCount} ({percent} %)
        </span>
      </div>
      <dl className="counters">
        <div className="counter counter-ok">
          <dt>
            <span aria-hidden="true">✓ </span>Done
          </dt>
          <dd data-testid="count-done">{summary.counts.verified}</dd>
        </div>
        <div className="counter counter-failed">
          <dt>
            <span aria-hidden="true">✗ </span>Failed
          </dt>
          <dd data-testid="count-failed">{summary.counts.rejected}</dd>
        </div>
        <div className="counter">
          <dt>Remaining</dt>
          <dd data-testid="count-remaining">{remaining(summary)}</dd>
        </div>
        <div className="counter">
          <dt>Rate</dt>
          <dd>
            <span data-testid="rate">{progress.ratePerMinute}</span> <small>cards/min</small>
          </dd>
        </div>
        <div className="counter">
          <dt>ETA</dt>
          <dd data-testid="eta">{duration(progress.etaSeconds)}</dd>
        </div>
      </dl>
      <ThroughputChart samples={samples} />
      <ul className="tiles lanes" aria-label="Reader lanes">
        {progress.lanes.map((lane) => (
          <LaneTile
            key={lane.reader}
            lane={lane}
            runState={progress.state}
            onSwap={simulated.has(lane.reader) && progress.state !== 'done' ? onSwap : undefined}
          />
        ))}
      </ul>
    </section>
  );
}
