import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { MaskedInput } from '../../components/MaskedInput';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { secondFor } from './dual-control';
import { roleName, roles, type Role } from './vocabulary';

export function AddUser({
  station,
  recovery,
  onChanged,
}: {
  station: Station;
  recovery: boolean;
  onChanged: (message: string) => void;
}) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('operator');
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
      setError('The two passphrases differ: the new user types theirs twice again.');
      return;
    }
    const input = { username: username.trim(), role, passphrase, second: secondFor(recovery, second) };
    clearSecrets();
    station.call('kms.addUser', input).then(
      (u) => {
        setError(null);
        setUsername('');
        onChanged(`Added ${u.username} (${roleName(u.role)}).`);
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Add a user">
      <h4>Add a user</h4>
      <div className="row">
        <label>
          New user name{' '}
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
          />
        </label>
        <label>
          Role{' '}
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleName(r)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted">The new user types their own passphrase (12 characters or more), twice.</p>
      <div className="row">
        <MaskedInput
          label="New user's passphrase"
          value={passphrase}
          onChange={setPassphrase}
          autoComplete="new-password"
        />
        <MaskedInput
          label="New user's passphrase again"
          value={again}
          onChange={setAgain}
          autoComplete="new-password"
        />
      </div>
      {!recovery && <SecondOfficer value={second} onChange={setSecond} />}
      <Alert text={error} />
      <button type="submit" className="primary">
        Add user
      </button>
    </form>
  );
}
