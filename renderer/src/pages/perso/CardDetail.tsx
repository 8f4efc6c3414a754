import { useEffect, useRef } from 'react';
import type { CardRecordView } from '../../../../core/api/index.js';
import { kcvNames, stepText } from './format';

const cardStateText: Record<CardRecordView['state'], string> = {
  assigned: 'Assigned',
  'issuer-keys': 'Issuer keys in place',
  secured: 'Data stored',
  verified: 'Verified',
  rejected: 'Rejected',
};

/** One card: identities, its steps with timings, its KCVs. The API carries no key bytes, so none show. */
export function CardDetail({ card, onClose }: { card: CardRecordView; onClose: () => void }) {
  const total = card.steps.reduce((sum, s) => sum + s.ms, 0);
  const kcvs = Object.entries(card.kcvs);
  // The detail opens above the card list: its heading takes the focus, and the page scrolls to it.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [card.cardId]);
  return (
    <section className="panel" aria-labelledby="card-detail-title" data-testid="card-detail">
      <div className="page-head">
        <h4 id="card-detail-title" ref={heading} tabIndex={-1}>
          Card <span className="mono">{card.iccid}</span>
        </h4>
        <button type="button" onClick={onClose}>
          Close card
        </button>
      </div>
      <dl className="facts">
        <dt>State</dt>
        <dd data-testid="card-state">{cardStateText[card.state]}</dd>
        <dt>IMSI</dt>
        <dd className="mono">{card.imsi}</dd>
        <dt>IMPI</dt>
        <dd className="mono">{card.impi}</dd>
        <dt>Card ID</dt>
        <dd className="mono">{card.cardId}</dd>
        <dt>Reader</dt>
        <dd>{card.reader ?? '—'}</dd>
        <dt>Attempts</dt>
        <dd>{card.attempts}</dd>
        {card.lastError && (
          <>
            <dt>Last error</dt>
            <dd>
              {card.failureClass ? `${card.failureClass}: ` : ''}
              {card.lastError}
            </dd>
          </>
        )}
        <dt>Assigned</dt>
        <dd>{card.assignedAt}</dd>
        <dt>Verified</dt>
        <dd>{card.verifiedAt ?? '—'}</dd>
      </dl>
      <table className="grid" aria-label="Steps and timings">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Time (ms)</th>
            <th scope="col">Finished at</th>
          </tr>
        </thead>
        <tbody>
          {card.steps.map((s, i) => (
            <tr key={`${s.step}-${i}`}>
              <td>{stepText(s.step)}</td>
              <td className="num">{s.ms.toFixed(1)}</td>
              <td>{s.at}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td className="num">{total.toFixed(1)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
      <table className="grid kcvs" aria-label="Key check values">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">KCV</th>
          </tr>
        </thead>
        <tbody>
          {kcvs.map(([name, kcv]) => (
            <tr key={name}>
              <th scope="row">{kcvNames[name] ?? name}</th>
              <td className="kcv" data-testid={`kcv-${name}`}>
                {kcv.toUpperCase()}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
