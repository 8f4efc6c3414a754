import type { UserRecordView } from '../../../../core/api/index.js';
import { roleName, roles, type Role } from './vocabulary';

/** The user a form acts on, chosen from the station's users; the caller decides which may be chosen. */
export function UserPicker({
  users,
  value,
  onChange,
  describe = (u) => u.username,
}: {
  users: UserRecordView[];
  value: string;
  onChange: (username: string) => void;
  describe?: (u: UserRecordView) => string;
}) {
  return (
    <label>
      User{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose…</option>
        {users.map((u) => (
          <option key={u.username} value={u.username}>
            {describe(u)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Only active users can be disabled or given a new passphrase. */
export const activeUsers = (users: UserRecordView[]) => users.filter((u) => u.state === 'active');

/** A role from the station's vocabulary, shown by its name. */
export function RoleSelect({
  label,
  value,
  onChange,
}: {
  label: string;
  value: Role;
  onChange: (role: Role) => void;
}) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {roleName(r)}
          </option>
        ))}
      </select>
    </label>
  );
}
