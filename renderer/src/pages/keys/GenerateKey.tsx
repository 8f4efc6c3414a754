import { useState, type FormEvent } from 'react';
import type { KeyRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { keyTypes, keyUsages, type KeyType, type KeyUsage } from './vocabulary';

export function GenerateKey({ station, onDone }: { station: Station; onDone: (key: KeyRecordView) => void }) {
  const [label, setLabel] = useState('');
  const [type, setType] = useState<KeyType>('AES-128');
  const [usage, setUsage] = useState<KeyUsage>('isd-master');
  const [second, setSecond] = useState(noSecond);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    station.call('kms.generateKey', { label, type, usage, second }).then(
      (r) => {
        setSecond((s) => ({ ...s, passphrase: '' }));
        setError(null);
        onDone(r.key);
      },
      (err: unknown) => {
        setSecond((s) => ({ ...s, passphrase: '' }));
        setError(errorText(err));
      },
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-labelledby="generate-title">
      <h3 id="generate-title">Generate a key (dual control)</h3>
      <div className="row">
        <label>
          Label <input value={label} onChange={(e) => setLabel(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Type{' '}
          <select value={type} onChange={(e) => setType(e.target.value as KeyType)}>
            {keyTypes.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Usage{' '}
          <select value={usage} onChange={(e) => setUsage(e.target.value as KeyUsage)}>
            {keyUsages.map((u) => (
              <option key={u}>{u}</option>
            ))}
          </select>
        </label>
      </div>
      <SecondOfficer value={second} onChange={setSecond} />
      <Alert text={error} />
      <button type="submit" className="primary">
        Generate
      </button>
    </form>
  );
}
