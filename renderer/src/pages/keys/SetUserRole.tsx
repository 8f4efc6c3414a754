import { useState, type FormEvent } from 'react';
import { Alert } from '../../components/Alert';
import { SecondOfficer } from '../../components/SecondOfficer';
import { useDualControlSubmit, type UserFormProps } from './dual-control';
import { RoleSelect, UserPicker } from './UserPicker';
import { roleName, type Role } from './vocabulary';

export function SetUserRole({ station, recovery, users, onChanged }: UserFormProps) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const dual = useDualControlSubmit(recovery);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { username, role, second: dual.takeSecond() };
    dual.run(station.call('kms.setUserRole', input), (u) =>
      onChanged(`${u.username} is now ${roleName(u.role)}.`),
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Change a role">
      <h4>Change a role</h4>
      <div className="row">
        {/* Every user is listed here, not only active ones, each with their current role. */}
        <UserPicker
          users={users}
          value={username}
          onChange={setUsername}
          describe={(u) => `${u.username} (${roleName(u.role)})`}
        />
        <RoleSelect label="New role" value={role} onChange={setRole} />
      </div>
      {!recovery && <SecondOfficer value={dual.second} onChange={dual.setSecond} />}
      <Alert text={dual.error} />
      <button type="submit" className="primary" disabled={!username}>
        Change role
      </button>
    </form>
  );
}
