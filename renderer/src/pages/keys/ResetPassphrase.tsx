import { useState, type FormEvent } from 'react';
import type { UserRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { MaskedInput } from '../../components/MaskedInput';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { secondFor } from './dual-control';

export function ResetPassphrase({
  station,
  recovery,
  users,
  onChanged,
}: {
  station: Station;
  recovery: boolean;
  users: UserRecordView[];
  onChanged: (message: string) => void;
}) {
  const [username, setUsername] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [second, setSecond] = useState(noSecond);
  const [error, setError] = useState<string | null>(null);
  const clearSecrets = () => {
    setPassphrase('');
    setAgain('');
    setSecond((s) => ({ ...s, passphrase: '' }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (passphrase !== again) {
      clearSecrets();
      setError('The two passphrases differ: the user types theirs twice again.');
      return;
    }
    const input = { username, passphrase, second: secondFor(recovery, second) };
    clearSecrets();
    station.call('kms.resetPassphrase', input).then(
      () => {
        setError(null);
        setUsername('');
        onChanged(`${input.username} has a new passphrase.`);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Reset a passphrase">
      <h4>Reset a passphrase</h4>
      <label>
        User{' '}
        <select value={username} onChange={(e) => setUsername(e.target.value)}>
          <option value="">Choose…</option>
          {users
            .filter((u) => u.state === 'active')
            .map((u) => (
              <option key={u.username} value={u.username}>
                {u.username}
              </option>
            ))}
        </select>
      </label>
      <p className="muted">The user types their new passphrase themselves, twice.</p>
      <div className="row">
        <MaskedInput
          label="New passphrase"
          value={passphrase}
          onChange={setPassphrase}
          autoComplete="new-password"
        />
        <MaskedInput
          label="New passphrase again"
          value={again}
          onChange={setAgain}
          autoComplete="new-password"
        />
      </div>
      {!recovery && <SecondOfficer value={second} onChange={setSecond} />}
      <Alert text={error} />
      <button type="submit" className="primary" disabled={!username}>
        Reset passphrase
      </button>
    </form>
  );
}
