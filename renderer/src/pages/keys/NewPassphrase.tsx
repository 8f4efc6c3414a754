import { useState } from 'react';
import { MaskedInput } from '../../components/MaskedInput';

/** A passphrase its owner types twice; neither copy stays in the form once it is sent or refused. */
export function useNewPassphrase() {
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  return {
    passphrase,
    again,
    setPassphrase,
    setAgain,
    matches: passphrase === again,
    clear: () => {
      setPassphrase('');
      setAgain('');
    },
  };
}

export function NewPassphraseFields({
  label,
  value,
}: {
  label: string;
  value: ReturnType<typeof useNewPassphrase>;
}) {
  return (
    <div className="row">
      <MaskedInput
        label={label}
        value={value.passphrase}
        onChange={value.setPassphrase}
        autoComplete="new-password"
      />
      <MaskedInput
        label={`${label} again`}
        value={value.again}
        onChange={value.setAgain}
        autoComplete="new-password"
      />
    </div>
  );
}
