import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { UserNameInput } from '../../components/UserNameInput';
import { errorText } from '../../use-kms';

/** The lock screen: a user and their passphrase, or the custodians' way in. */
export function Login({ station, onRecover }: { station: Station; onRecover: () => void }) {
  const [username, setUsername] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    station.call('kms.unlock', { username, passphrase }).then(
      () => setPassphrase(''),
      (err: unknown) => {
        setPassphrase('');
        setError(errorText(err));
      },
    );
  };
  return (
    <>
      <form onSubmit={submit} className="panel narrow" aria-labelledby="login-title">
        <h3 id="login-title">Station locked</h3>
        <UserNameInput label="User name" value={username} onChange={setUsername} autoComplete="username" />
        <label>
          Passphrase{' '}
          <input
            type="password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            autoComplete="current-password"
          />
        </label>
        <Alert text={error} />
        <button type="submit" className="primary">
          Unlock
        </button>
      </form>
      <section className="panel narrow" aria-labelledby="recover-title">
        <h3 id="recover-title">Recovery by the custodians</h3>
        <p className="muted">
          The custodians of the recovery shares unlock the station together, to restore access and nothing
          else.
        </p>
        <button type="button" onClick={onRecover}>
          Recover with shares
        </button>
      </section>
    </>
  );
}
