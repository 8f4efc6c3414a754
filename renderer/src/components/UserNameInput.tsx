/** A user name typed by its owner: not capitalised or spell-checked, and autofilled only at login. */
export function UserNameInput({
  label,
  value,
  onChange,
  autoComplete = 'off',
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** 'username' only where the user logs in as themselves, so a password manager may fill it. */
  autoComplete?: 'off' | 'username';
}) {
  return (
    <label>
      {label}{' '}
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoComplete={autoComplete}
        autoCapitalize="off"
        spellCheck={false}
      />
    </label>
  );
}
