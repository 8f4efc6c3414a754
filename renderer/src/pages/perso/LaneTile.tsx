import type { BatchProgressView } from '../../../../core/api/index.js';
import { stepText, type LaneView } from './format';

type RunState = BatchProgressView['state'];

type Look = { tone: string; icon: string; label: string };

/** A lane's state in words, icon and colour together (DESIGN.md §10: never colour alone). */
function look(lane: LaneView, runState: RunState): Look {
  switch (lane.state) {
    case 'working':
      return { tone: 'working', icon: '↻', label: 'Personalising' };
    case 'waiting-card':
      return { tone: 'waiting', icon: '□', label: 'Insert a card' };
    case 'remove-card':
      return lane.step === 'rejected'
        ? { tone: 'failed', icon: '✗', label: 'Rejected: remove card' }
        : lane.step === 'verified'
          ? { tone: 'done', icon: '✓', label: 'Done: remove card' }
          : { tone: 'attention', icon: '⏏', label: 'Remove card' };
    case 'paused':
      return { tone: 'attention', icon: '‖', label: 'Paused' };
    case 'stopped':
      if (runState === 'done') return { tone: 'idle', icon: '✓', label: 'Finished' };
      return lane.lastError && lane.lastError !== 'order complete: waiting for cards still in work'
        ? { tone: 'failed', icon: '■', label: 'Stopped' }
        : { tone: 'idle', icon: '■', label: 'Stopped' };
  }
}

function successRate(lane: LaneView): string {
  const total = lane.done + lane.failed;
  return total === 0 ? '—' : `${Math.round((lane.done / total) * 100)} %`;
}

/**
 * One reader lane of a running batch, readable from a metre away. A simulated reader gets the
 * operator's hands as a button: take the card out and put the next one in.
 */
export function LaneTile({
  lane,
  runState,
  onSwap,
}: {
  lane: LaneView;
  runState: RunState;
  onSwap?: ((reader: string, removeFirst: boolean) => void) | undefined;
}) {
  const view = look(lane, runState);
  const titleId = `lane-${lane.reader.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const canSwap = lane.state === 'remove-card' || lane.state === 'waiting-card';
  return (
    <li
      className={`tile lane lane-${view.tone}`}
      data-testid="lane-tile"
      data-state={lane.state}
      aria-labelledby={titleId}
    >
      <h4 className="tile-name" id={titleId}>
        {lane.reader}
      </h4>
      <p className="tile-state">
        <span className="tile-icon" aria-hidden="true">
          {view.icon}
        </span>
        <span data-testid="lane-state">{view.label}</span>
      </p>
      <dl className="facts lane-facts">
        <dt>ICCID</dt>
        <dd className="mono" data-testid="lane-iccid">
          {lane.iccid ?? '—'}
        </dd>
        <dt>Step</dt>
        <dd data-testid="lane-step">{stepText(lane.step)}</dd>
        <dt>Done</dt>
        <dd>
          <span className="lane-count" data-testid="lane-done">
            {lane.done}
          </span>{' '}
          · failed{' '}
          <span className="lane-count" data-testid="lane-failed">
            {lane.failed}
          </span>{' '}
          · <span className="muted">success {successRate(lane)}</span>
        </dd>
      </dl>
      {lane.lastError && (
        <p className="lane-error" data-testid="lane-error">
          <span aria-hidden="true">⚠ </span>
          {lane.lastError}
        </p>
      )}
      {onSwap && canSwap && (
        <button
          type="button"
          className="tile-action"
          onClick={() => onSwap(lane.reader, lane.state === 'remove-card')}
        >
          {lane.state === 'remove-card' ? 'Remove card and insert the next' : 'Insert a card'}
          <span className="visually-hidden"> in {lane.reader}</span>
        </button>
      )}
    </li>
  );
}
