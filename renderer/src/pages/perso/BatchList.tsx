import type { BatchSummaryView } from '../../../../core/api/index.js';
import { batchStateText, remaining } from './format';

const stateIcon: Record<BatchSummaryView['state'], string> = {
  open: '○',
  paused: '‖',
  aborted: '■',
  done: '✓',
};

/** Every batch on the station; one is opened at a time. */
export function BatchList({
  batches,
  selected,
  running,
  onOpen,
}: {
  batches: BatchSummaryView[];
  selected: string | null;
  running: string | null;
  onOpen: (id: string) => void;
}) {
  if (batches.length === 0) return <p className="muted">No batch yet: import an order to begin.</p>;
  return (
    <div className="table-scroll">
      <table className="grid" aria-label="Batches">
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Customer</th>
            <th scope="col">Cards</th>
            <th scope="col">Done</th>
            <th scope="col">Failed</th>
            <th scope="col">Remaining</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.id} className={selected === b.id ? 'selected' : undefined} data-testid="batch-row">
              <td>
                <button
                  type="button"
                  className="link nowrap"
                  aria-pressed={selected === b.id}
                  onClick={() => onOpen(b.id)}
                >
                  {b.id}
                </button>
              </td>
              <td>{b.customer}</td>
              <td className="num">{b.cardCount}</td>
              <td className="num">{b.counts.verified}</td>
              <td className="num">{b.counts.rejected}</td>
              <td className="num">{remaining(b)}</td>
              <td>
                <span aria-hidden="true">{stateIcon[b.state]} </span>
                {batchStateText[b.state]}
                {running === b.id ? ' (running)' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
