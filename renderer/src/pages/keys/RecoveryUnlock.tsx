import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { StepHeading } from '../../components/StepHeading';
import { errorText } from '../../use-kms';
import { RecoveryShareStep } from './RecoveryShareStep';

/**
 * Recovery unlock: how many shares are here, then one screen per custodian. The shares are kept
 * in this component only until the station answers, then dropped whatever it says.
 */
export function RecoveryUnlock({ station, onClose }: { station: Station; onClose: () => void }) {
  const [countText, setCountText] = useState('2');
  const [count, setCount] = useState(2);
  const [started, setStarted] = useState(false);
  const [shares, setShares] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const restart = (message: string | null) => {
    setShares([]);
    setStarted(false);
    setBusy(false);
    setError(message);
  };
  const addShare = (share: string) => {
    const all = [...shares, share];
    if (all.length < count) {
      setShares(all);
      return;
    }
    setShares([]);
    setBusy(true);
    station.call('kms.recover', { shares: all }).then(
      () => {
        all.fill('');
        onClose();
      },
      (err: unknown) => {
        all.fill('');
        restart(errorText(err));
      },
    );
  };
  const begin = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(countText);
    if (!Number.isInteger(n) || n < 2 || n > 16) {
      setError('Recovery takes 2 to 16 shares: type how many custodians are here with theirs.');
      return;
    }
    setCount(n);
    setError(null);
    setStarted(true);
  };

  if (busy)
    return (
      <section className="panel narrow" aria-labelledby="recovering-title">
        <h3 id="recovering-title">Recovering…</h3>
        <p role="status">Combining {count} shares.</p>
      </section>
    );
  if (started)
    return (
      <RecoveryShareStep
        key={shares.length}
        index={shares.length + 1}
        count={count}
        onShare={addShare}
        onCancel={() => restart(null)}
      />
    );
  return (
    <form onSubmit={begin} className="panel narrow" aria-labelledby="recovery-title">
      <StepHeading id="recovery-title">Recover with shares</StepHeading>
      <p className="muted">
        The custodians come together; each types their own share on their own screen. The recovery session
        restores access (users, passphrases, new shares) and then locks; it cannot use keys.
      </p>
      <label>
        How many shares do you have?{' '}
        <input
          type="number"
          min={2}
          max={16}
          value={countText}
          onChange={(e) => setCountText(e.target.value)}
        />
      </label>
      <Alert text={error} />
      <div className="row">
        <button type="submit" className="primary">
          Begin with share 1
        </button>
        <button type="button" onClick={onClose}>
          Back to login
        </button>
      </div>
    </form>
  );
}
