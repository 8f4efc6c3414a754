import { useState, type FormEvent } from 'react';
import type { KeyRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { errorText } from '../../use-kms';
import { KeySpecFields, type KeySpec } from './KeySpecFields';
import { keyTypes, keyUsages } from './vocabulary';

export function GenerateKey({ station, onDone }: { station: Station; onDone: (key: KeyRecordView) => void }) {
  const [spec, setSpec] = useState<KeySpec>({ label: '', type: 'AES-128', usage: 'isd-master' });
  const [second, setSecond] = useState(noSecond);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    station.call('kms.generateKey', { ...spec, second }).then(
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
        <KeySpecFields value={spec} onChange={setSpec} types={keyTypes} usages={keyUsages} />
      </div>
      <SecondOfficer value={second} onChange={setSecond} />
      <Alert text={error} />
      <button type="submit" className="primary">
        Generate
      </button>
    </form>
  );
}
