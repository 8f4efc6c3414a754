import { useState, type FormEvent } from 'react';
import type { UserRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { secondFor } from './dual-control';
import { roleName, roles, type Role } from './vocabulary';

export function SetUserRole({
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
  const [role, setRole] = useState<Role>('operator');
  const [second, setSecond] = useState(noSecond);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { username, role, second: secondFor(recovery, second) };
    setSecond((s) => ({ ...s, passphrase: '' }));
    station.call('kms.setUserRole', input).then(
      (u) => {
        setError(null);
        onChanged(`${u.username} is now ${roleName(u.role)}.`);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Change a role">
      <h4>Change a role</h4>
      <div className="row">
        <label>
          User{' '}
          <select value={username} onChange={(e) => setUsername(e.target.value)}>
            <option value="">Choose…</option>
            {users.map((u) => (
              <option key={u.username} value={u.username}>
                {u.username} ({roleName(u.role)})
              </option>
            ))}
          </select>
        </label>
        <label>
          New role{' '}
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleName(r)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!recovery && <SecondOfficer value={second} onChange={setSecond} />}
      <Alert text={error} />
      <button type="submit" className="primary" disabled={!username}>
        Change role
      </button>
    </form>
  );
}
