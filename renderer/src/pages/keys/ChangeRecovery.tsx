import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { secondFor } from './dual-control';
import type { Handout } from './handout';

/** A fresh M-of-N split of the recovery key; every earlier share stops working. */
export function ChangeRecovery({
  station,
  recovery,
  onShares,
}: {
  station: Station;
  recovery: boolean;
  onShares: (h: Handout) => void;
}) {
  const [threshold, setThreshold] = useState(2);
  const [shares, setShares] = useState(3);
  const [second, setSecond] = useState(noSecond);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { threshold, shares, second: secondFor(recovery, second) };
    setSecond((s) => ({ ...s, passphrase: '' }));
    setBusy(true);
    station.call('kms.changeRecovery', input).then(
      (r) => {
        setBusy(false);
        setError(null);
        onShares({
          title: 'New recovery shares',
          threshold,
          shares: r.shares,
          transcriptSha256: r.transcriptSha256,
        });
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="New recovery shares">
      <h3>New recovery shares</h3>
      <p className="muted">
        The recovery key is split afresh into N shares, any M of which recover the station. Every earlier
        share stops working. The new custodians should be here: their shares are shown next, one per screen,
        once.
      </p>
      <div className="row">
        <label>
          Shares needed (M){' '}
          <input
            type="number"
            min={2}
            max={16}
            value={threshold}
            onChange={(e) => setThreshold(Number(e.target.value))}
          />
        </label>
        <label>
          Shares made (N){' '}
          <input
            type="number"
            min={2}
            max={16}
            value={shares}
            onChange={(e) => setShares(Number(e.target.value))}
          />
        </label>
      </div>
      {!recovery && <SecondOfficer value={second} onChange={setSecond} />}
      <Alert text={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Splitting…' : 'Make new shares'}
      </button>
    </form>
  );
}
