import { useState, type FormEvent } from 'react';
import { Alert } from '../../components/Alert';
import { SecondOfficer } from '../../components/SecondOfficer';
import { UserNameInput } from '../../components/UserNameInput';
import { useDualControlSubmit, type UserFormProps } from './dual-control';
import { NewPassphraseFields, useNewPassphrase } from './NewPassphrase';
import { RoleSelect } from './UserPicker';
import { roleName, type Role } from './vocabulary';

export function AddUser({ station, recovery, onChanged }: Omit<UserFormProps, 'users'>) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const fresh = useNewPassphrase();
  const dual = useDualControlSubmit(recovery);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!fresh.matches) {
      fresh.clear();
      dual.clearSecond();
      dual.setError('The two passphrases differ: the new user types theirs twice again.');
      return;
    }
    const input = {
      username: username.trim(),
      role,
      passphrase: fresh.passphrase,
      second: dual.takeSecond(),
    };
    fresh.clear();
    dual.run(station.call('kms.addUser', input), (u) => {
      setUsername('');
      onChanged(`Added ${u.username} (${roleName(u.role)}).`);
    });
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Add a user">
      <h4>Add a user</h4>
      <div className="row">
        <UserNameInput label="New user name" value={username} onChange={setUsername} />
        <RoleSelect label="Role" value={role} onChange={setRole} />
      </div>
      <p className="muted">The new user types their own passphrase (12 characters or more), twice.</p>
      <NewPassphraseFields label="New user's passphrase" value={fresh} />
      {!recovery && <SecondOfficer value={dual.second} onChange={dual.setSecond} />}
      <Alert text={dual.error} />
      <button type="submit" className="primary">
        Add user
      </button>
    </form>
  );
}
