import type { ReaderInfo } from '../../../core/api/index.js';

// State is shown by colour, icon and words together, never colour alone.
const stateView: Record<ReaderInfo['state'], { icon: string; label: string }> = {
  present: { icon: '▣', label: 'Card present' },
  empty: { icon: '□', label: 'No card' },
  mute: { icon: '⚠', label: 'Card not responding' },
};

export function ReaderTile({
  reader,
  onSimulate,
}: {
  reader: ReaderInfo;
  onSimulate?: ((reader: string, action: 'insert' | 'remove') => void) | undefined;
}) {
  const view = stateView[reader.state];
  const titleId = `reader-${reader.name.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <li
      className={`tile tile-${reader.state}`}
      data-testid="reader-tile"
      data-state={reader.state}
      aria-labelledby={titleId}
    >
      <h3 className="tile-name" id={titleId}>
        {reader.name}
      </h3>
      <p className="tile-state">
        <span className="tile-icon" aria-hidden="true">
          {view.icon}
        </span>
        <span data-testid="reader-state">{view.label}</span>
      </p>
      <p className="tile-atr">
        <span className="muted">ATR</span>{' '}
        <code data-testid="reader-atr">{reader.atr ? reader.atr.toUpperCase() : '—'}</code>
      </p>
      <p className="tile-source muted">{reader.source === 'sim' ? 'Simulated reader' : 'PC/SC reader'}</p>
      {onSimulate && (
        <button
          type="button"
          className="tile-action"
          onClick={() => onSimulate(reader.name, reader.state === 'present' ? 'remove' : 'insert')}
        >
          {reader.state === 'present' ? 'Remove card' : 'Insert card'}
          <span className="visually-hidden"> in {reader.name}</span>
        </button>
      )}
    </li>
  );
}
