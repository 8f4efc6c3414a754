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
        <label>
          Second officer{' '}
          <input
            value={value.username}
            onChange={(e) => onChange({ ...value, username: e.target.value })}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
          />
        </label>
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
