import type { CardRecordView } from '../../../../core/api/index.js';

/** The supervisor's work list: every rejected card, why, and how often it was tried. */
export function RejectList({ cards }: { cards: CardRecordView[] }) {
  return (
    <section aria-labelledby="rejects-title">
      <h4 id="rejects-title">
        Rejected cards <span className="muted">({cards.length})</span>
      </h4>
      {cards.length === 0 ? (
        <p className="muted" data-testid="no-rejects">
          No card was rejected.
        </p>
      ) : (
        <table className="grid" aria-label="Rejected cards">
          <thead>
            <tr>
              <th scope="col">ICCID</th>
              <th scope="col">Reader</th>
              <th scope="col">Failure class</th>
              <th scope="col">Reason</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {cards.map((c) => (
              <tr key={c.cardId}>
                <td className="mono">{c.iccid}</td>
                <td>{c.reader ?? '—'}</td>
                <td>{c.failureClass ?? '—'}</td>
                <td>{c.lastError ?? '—'}</td>
                <td className="num">{c.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const stateIcon: Record<CardRecordView['state'], string> = {
  assigned: '…',
  'issuer-keys': '…',
  secured: '…',
  verified: '✓',
  rejected: '✗',
};

/** Every card assigned so far; the ICCID opens the card's detail. */
export function CardList({
  cards,
  limit,
  selected,
  onOpen,
}: {
  cards: CardRecordView[];
  limit: number;
  selected: string | null;
  onOpen: (card: CardRecordView) => void;
}) {
  return (
    <section aria-labelledby="cards-title">
      <h4 id="cards-title">
        Cards <span className="muted">({cards.length === limit ? `first ${limit}` : cards.length})</span>
      </h4>
      {cards.length === 0 ? (
        <p className="muted">No card has been assigned yet: cards get their ICCID as they go in.</p>
      ) : (
        <table className="grid" aria-label="Cards">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">ICCID</th>
              <th scope="col">State</th>
              <th scope="col">Reader</th>
              <th scope="col">Steps</th>
              <th scope="col">Time (ms)</th>
            </tr>
          </thead>
          <tbody>
            {cards.map((c) => (
              <tr key={c.cardId} className={selected === c.cardId ? 'selected' : undefined}>
                <td className="num">{c.index + 1}</td>
                <td>
                  <button
                    type="button"
                    className="link mono"
                    aria-pressed={selected === c.cardId}
                    onClick={() => onOpen(c)}
                  >
                    {c.iccid}
                  </button>
                </td>
                <td>
                  <span aria-hidden="true">{stateIcon[c.state]} </span>
                  {c.state}
                </td>
                <td>{c.reader ?? '—'}</td>
                <td className="num">{c.steps.length}</td>
                <td className="num">{c.steps.reduce((sum, s) => sum + s.ms, 0).toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
