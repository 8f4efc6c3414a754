import { useEffect, useState } from 'react';
import type { KmsStatus, UserRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import { AddUser } from './AddUser';
import { ChangePassphrase } from './ChangePassphrase';
import { DisableUser } from './DisableUser';
import { ResetPassphrase } from './ResetPassphrase';
import { SetUserRole } from './SetUserRole';
import { roleName } from './vocabulary';

/** Who may use the station; security officers (two of them, or a recovery session) change it. */
export function UsersPanel({ station, user }: { station: Station; user: NonNullable<KmsStatus['user']> }) {
  const [users, setUsers] = useState<UserRecordView[]>([]);
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    station.call('kms.users', {}).then(setUsers, (err: unknown) => setError(errorText(err)));
  }, [station, version]);
  const recovery = user.viaRecovery;
  const officer = user.role === 'security_officer';
  const changed = (message: string) => {
    setNotice(message);
    setVersion((v) => v + 1);
  };
  return (
    <>
      <Alert text={error} />
      {notice && (
        <div className="banner banner-ok" role="status" data-testid="users-notice">
          <span aria-hidden="true">✓ </span>
          {notice}
        </div>
      )}
      <table className="grid" aria-label="Users">
        <thead>
          <tr>
            <th scope="col">User name</th>
            <th scope="col">Role</th>
            <th scope="col">State</th>
            <th scope="col">Created by</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr
              key={u.username}
              data-testid="user-row"
              className={u.state === 'disabled' ? 'row-disabled' : undefined}
            >
              <td>{u.username}</td>
              <td>{roleName(u.role)}</td>
              <td>{u.state === 'active' ? 'active' : '⊘ disabled'}</td>
              <td>{u.createdBy}</td>
              <td>{u.createdAt}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {officer && (
        <div className="forms">
          <AddUser station={station} recovery={recovery} onChanged={changed} />
          <SetUserRole station={station} recovery={recovery} users={users} onChanged={changed} />
          <DisableUser station={station} recovery={recovery} users={users} onChanged={changed} />
          <ResetPassphrase station={station} recovery={recovery} users={users} onChanged={changed} />
        </div>
      )}
      {!recovery && <ChangePassphrase station={station} username={user.username} />}
    </>
  );
}
