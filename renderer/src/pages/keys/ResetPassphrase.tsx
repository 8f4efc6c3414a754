import { useState, type FormEvent } from 'react';
import { Alert } from '../../components/Alert';
import { SecondOfficer } from '../../components/SecondOfficer';
import { useDualControlSubmit, type UserFormProps } from './dual-control';
import { NewPassphraseFields, useNewPassphrase } from './NewPassphrase';
import { activeUsers, UserPicker } from './UserPicker';

export function ResetPassphrase({ station, recovery, users, onChanged }: UserFormProps) {
  const [username, setUsername] = useState('');
  const fresh = useNewPassphrase();
  const dual = useDualControlSubmit(recovery);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!fresh.matches) {
      fresh.clear();
      dual.clearSecond();
      dual.setError('The two passphrases differ: the user types theirs twice again.');
      return;
    }
    const input = { username, passphrase: fresh.passphrase, second: dual.takeSecond() };
    fresh.clear();
    dual.run(station.call('kms.resetPassphrase', input), () => {
      setUsername('');
      onChanged(`${input.username} has a new passphrase.`);
    });
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Reset a passphrase">
      <h4>Reset a passphrase</h4>
      <UserPicker users={activeUsers(users)} value={username} onChange={setUsername} />
      <p className="muted">The user types their new passphrase themselves, twice.</p>
      <NewPassphraseFields label="New passphrase" value={fresh} />
      {!recovery && <SecondOfficer value={dual.second} onChange={dual.setSecond} />}
      <Alert text={dual.error} />
      <button type="submit" className="primary" disabled={!username}>
        Reset passphrase
      </button>
    </form>
  );
}
