import { useState, type FormEvent } from 'react';
import type { UserRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { secondFor } from './dual-control';

export function DisableUser({
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
  const [second, setSecond] = useState(noSecond);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { username, second: secondFor(recovery, second) };
    setSecond((s) => ({ ...s, passphrase: '' }));
    station.call('kms.disableUser', input).then(
      (u) => {
        setError(null);
        setUsername('');
        onChanged(`${u.username} is disabled: they can no longer log in.`);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Disable a user">
      <h4>Disable a user</h4>
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
      {!recovery && <SecondOfficer value={second} onChange={setSecond} />}
      <Alert text={error} />
      <button type="submit" className="primary" disabled={!username}>
        Disable user
      </button>
    </form>
  );
}
