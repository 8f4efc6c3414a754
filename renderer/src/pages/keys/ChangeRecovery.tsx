import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { SecondOfficer } from '../../components/SecondOfficer';
import { useDualControlSubmit } from './dual-control';
import type { Handout } from './handout';
import { RecoveryCountFields } from './RecoveryCountFields';

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
  const dual = useDualControlSubmit(recovery);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { threshold, shares, second: dual.takeSecond() };
    dual.run(station.call('kms.changeRecovery', input), (r) =>
      onShares({
        title: 'New recovery shares',
        threshold,
        shares: r.shares,
        transcriptSha256: r.transcriptSha256,
      }),
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
      <RecoveryCountFields
        threshold={threshold}
        shares={shares}
        onThresholdChange={setThreshold}
        onSharesChange={setShares}
      />
      {!recovery && <SecondOfficer value={dual.second} onChange={dual.setSecond} />}
      <Alert text={dual.error} />
      <button type="submit" className="primary" disabled={dual.busy}>
        {dual.busy ? 'Splitting…' : 'Make new shares'}
      </button>
    </form>
  );
}
