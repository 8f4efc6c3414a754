import { useState, type FormEvent } from 'react';
import { Alert } from '../../components/Alert';
import { SecondOfficer } from '../../components/SecondOfficer';
import { useDualControlSubmit, type UserFormProps } from './dual-control';
import { activeUsers, UserPicker } from './UserPicker';

export function DisableUser({ station, recovery, users, onChanged }: UserFormProps) {
  const [username, setUsername] = useState('');
  const dual = useDualControlSubmit(recovery);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { username, second: dual.takeSecond() };
    dual.run(station.call('kms.disableUser', input), (u) => {
      setUsername('');
      onChanged(`${u.username} is disabled: they can no longer log in.`);
    });
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Disable a user">
      <h4>Disable a user</h4>
      <UserPicker users={activeUsers(users)} value={username} onChange={setUsername} />
      {!recovery && <SecondOfficer value={dual.second} onChange={dual.setSecond} />}
      <Alert text={dual.error} />
      <button type="submit" className="primary" disabled={!username}>
        Disable user
      </button>
    </form>
  );
}
