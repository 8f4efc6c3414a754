import { UserNameInput } from './UserNameInput';

/** The second person of dual control, who types their own name and passphrase here, in person. */
export type SecondCredentials = { username: string; passphrase: string };
export const noSecond: SecondCredentials = { username: '', passphrase: '' };

export function SecondOfficer({
  value,
  onChange,
}: {
  value: SecondCredentials;
  onChange: (value: SecondCredentials) => void;
}) {
  return (
    <fieldset>
      <legend>A second security officer confirms here, in person</legend>
      <div className="row">
        <UserNameInput
          label="Second officer"
          value={value.username}
          onChange={(username) => onChange({ ...value, username })}
        />
        <label>
          Their passphrase{' '}
          <input
            type="password"
            value={value.passphrase}
            onChange={(e) => onChange({ ...value, passphrase: e.target.value })}
            autoComplete="off"
          />
        </label>
      </div>
    </fieldset>
  );
}
