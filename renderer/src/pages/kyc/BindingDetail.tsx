import { useEffect, useState } from 'react';
import type { KycBindingView, KycEvidenceView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import { CorrectForm, TransferForm, WithdrawForm } from './Actions';
import { BindingState } from './Bindings';
import { dataUrlOf, deviceKeys, deviceLabels, idTypeLabels, purposeLabels } from './form';

type Action = 'transfer' | 'correct' | 'withdraw';

const actionText: Record<KycBindingView['action'], string> = {
  bind: 'First binding',
  correct: 'Correction',
  transfer: 'Transfer',
};

/**
 * One binding: its device, custodian (an Aadhaar number by its last 4 digits only), consent and
 * evidence, its history (the versions it superseded, oldest first), and what can be done with an
 * active one: transfer, correct, withdraw consent. Each action ends in a new record; nothing is
 * overwritten.
 */
export function BindingDetail({
  station,
  id,
  refresh,
  onChanged,
  onClose,
}: {
  station: Station;
  id: string;
  refresh: number;
  onChanged: (binding: KycBindingView, what: string) => void;
  onClose: () => void;
}) {
  const [data, setData] = useState<{ binding: KycBindingView; history: KycBindingView[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [action, setAction] = useState<Action | null>(null);

  useEffect(() => {
    let live = true;
    station.call('kyc.binding', { id }).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [station, id, refresh]);

  const done = (b: KycBindingView, what: string) => {
    setAction(null);
    onChanged(b, what);
  };

  if (error) return <Alert text={error} />;
  if (!data) return <p className="muted">Opening the binding…</p>;
  const b = data.binding;
  const older = data.history.filter((h) => h.id !== b.id);
  return (
    <section className="panel kyc-detail" aria-labelledby="kyc-detail-title" data-testid="binding-detail">
      <div className="page-head">
        <h3 id="kyc-detail-title">
          Binding <span className="mono">{b.id}</span>
        </h3>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="kyc-detail-state">
        <BindingState state={b.state} /> · {actionText[b.action]} on {new Date(b.createdAt).toLocaleString()}{' '}
        by {b.operator} at {b.dealer}
        {b.reason ? ` · reason: ${b.reason}` : ''}
      </p>
      {b.ended && (
        <p data-testid="binding-ended">
          Ended {new Date(b.ended.at).toLocaleString()} by {b.ended.by}
          {b.ended.reason ? ` · reason: ${b.ended.reason}` : ''}
          {b.ended.signatureSha256 ? ' · signed by the custodian' : ''}
        </p>
      )}
      <div className="kyc-detail-cols">
        <BindingFacts binding={b} />
        <Evidence station={station} items={b.evidence} />
      </div>
      {b.state === 'active' && (
        <div className="row kyc-actions" role="group" aria-label="Binding actions">
          <button type="button" aria-pressed={action === 'transfer'} onClick={() => setAction('transfer')}>
            Transfer to a new custodian
          </button>
          <button type="button" aria-pressed={action === 'correct'} onClick={() => setAction('correct')}>
            Correct
          </button>
          <button type="button" aria-pressed={action === 'withdraw'} onClick={() => setAction('withdraw')}>
            Withdraw consent
          </button>
        </div>
      )}
      {action === 'transfer' && (
        <TransferForm
          station={station}
          binding={b}
          onDone={(n) => done(n, 'Transferred')}
          onCancel={() => setAction(null)}
        />
      )}
      {action === 'correct' && (
        <CorrectForm
          station={station}
          binding={b}
          onDone={(n) => done(n, 'Corrected')}
          onCancel={() => setAction(null)}
        />
      )}
      {action === 'withdraw' && (
        <WithdrawForm
          station={station}
          binding={b}
          onDone={(n) => done(n, 'Consent withdrawn')}
          onCancel={() => setAction(null)}
        />
      )}
      <section aria-labelledby="kyc-history-title">
        <h4 id="kyc-history-title">History</h4>
        {older.length === 0 ? (
          <p className="muted">No earlier version.</p>
        ) : (
          <ol className="kyc-history" data-testid="binding-history">
            {older.map((h) => (
              <li key={h.id} data-testid="history-item">
                <details>
                  <summary>
                    <BindingState state={h.state} /> · {actionText[h.action]} ·{' '}
                    {new Date(h.createdAt).toLocaleString()} · <span className="mono">{h.id}</span>
                    {h.ended?.reason ? ` · ended: ${h.ended.reason}` : ''}
                  </summary>
                  <BindingFacts binding={h} />
                </details>
              </li>
            ))}
          </ol>
        )}
      </section>
    </section>
  );
}

function BindingFacts({ binding: b }: { binding: KycBindingView }) {
  const c = b.custodian;
  return (
    <dl className="facts kyc-facts">
      {deviceKeys.map((k) =>
        b.device[k] ? (
          <div key={k}>
            <dt>{deviceLabels[k]}</dt>
            <dd className="mono">{b.device[k]}</dd>
          </div>
        ) : null,
      )}
      {c ? (
        <>
          <div>
            <dt>Custodian</dt>
            <dd data-testid="custodian-name">
              {c.name} ({c.kind === 'individual' ? 'individual' : 'organisation'})
            </dd>
          </div>
          <div>
            <dt>{idTypeLabels[c.idDocument.type]}</dt>
            <dd className="mono" data-testid="custodian-id">
              {c.idDocument.display}
            </dd>
          </div>
          {c.pan && (
            <div>
              <dt>PAN</dt>
              <dd className="mono">{c.pan}</dd>
            </div>
          )}
          {c.gstin && (
            <div>
              <dt>GSTIN</dt>
              <dd className="mono">{c.gstin}</dd>
            </div>
          )}
          <div>
            <dt>Phone</dt>
            <dd className="mono">{c.phone}</dd>
          </div>
          <div>
            <dt>Address</dt>
            <dd>
              {[
                c.address.line1,
                c.address.line2,
                c.address.city,
                c.address.state,
                c.address.pincode,
                c.address.country,
              ]
                .filter(Boolean)
                .join(', ')}
            </dd>
          </div>
        </>
      ) : (
        <div>
          <dt>Custodian</dt>
          <dd>Personal data erased</dd>
        </div>
      )}
      <div>
        <dt>Purpose</dt>
        <dd>{purposeLabels[b.purpose]}</dd>
      </div>
      <div>
        <dt>Consent</dt>
        <dd>
          Notice {b.consent.noticeVersion}, signed {new Date(b.consent.at).toLocaleString()}
        </dd>
      </div>
      <div>
        <dt>Kept until</dt>
        <dd>{new Date(b.retentionUntil).toLocaleDateString()}</dd>
      </div>
    </dl>
  );
}

/** Evidence images open on request only: each opening is audited by the station. */
function Evidence({ station, items }: { station: Station; items: KycEvidenceView[] }) {
  const [open, setOpen] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  if (items.length === 0) return <p className="muted">No evidence images.</p>;
  const show = (e: KycEvidenceView) =>
    station.call('kyc.evidence', { id: e.id }).then(
      (r) => setOpen((o) => ({ ...o, [e.id]: dataUrlOf(r.mime, r.dataBase64) })),
      (err: unknown) => setError(errorText(err)),
    );
  return (
    <div>
      <ul className="kyc-evidence">
        {items.map((e) => (
          <li key={e.id}>
            <strong>{e.kind}</strong> ({e.source}, {Math.round(e.bytes / 1024)} kB
            {e.strippedBytes > 0 ? `, ${e.strippedBytes} bytes of metadata removed` : ''})
            {!e.available ? (
              <span> · erased</span>
            ) : open[e.id] ? (
              <img src={open[e.id]} alt={`Evidence: ${e.kind}`} />
            ) : (
              <button type="button" onClick={() => void show(e)}>
                Show {e.kind}
              </button>
            )}
          </li>
        ))}
      </ul>
      <Alert text={error} />
    </div>
  );
}
