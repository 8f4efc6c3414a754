import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { StepHeading } from '../../components/StepHeading';
import { errorText } from '../../use-kms';
import type { Ceremony } from './ceremony';
import { CeremonyActions, KcvInput } from './CeremonyFields';

/** Every component is in: the officers read the combined key's expected KCV, the station combines and checks. */
export function ComponentFinal({
  station,
  ceremony,
  onFinished,
  onFailed,
  onCancel,
}: {
  station: Station;
  ceremony: Ceremony;
  onFinished: (label: string, kcv: string, transcriptSha256: string) => void;
  onFailed: (message: string) => void;
  onCancel: () => void;
}) {
  const [expected, setExpected] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const expectedKcv = expected.trim().toLowerCase();
    if (!/^[0-9a-f]{6}$/.test(expectedKcv)) {
      setError('A KCV is 6 hex digits.');
      return;
    }
    setBusy(true);
    station.call('kms.finishComponentImport', { ceremonyId: ceremony.ceremonyId, expectedKcv }).then(
      (r) => onFinished(r.key.label, r.key.kcv, r.transcriptSha256),
      // The station ends the ceremony on any refusal here (its components are zeroed): start again.
      (err: unknown) => onFailed(errorText(err)),
    );
  };
  return (
    <form onSubmit={submit} className="panel ceremony" aria-labelledby="final-title">
      <StepHeading id="final-title">Combine: expected KCV of {ceremony.label}</StepHeading>
      <p className="step-meta">
        <span>
          All <strong>{ceremony.count}</strong> components are in.
        </span>
        <span>Now: the officers read the expected KCV of the combined key from its paperwork.</span>
        <span>Next: the station combines the components and stores the key.</span>
      </p>
      <KcvInput label="Expected KCV of the combined key" value={expected} onChange={setExpected} />
      <Alert text={error} />
      <CeremonyActions busy={busy} onCancel={onCancel}>
        Finish import
      </CeremonyActions>
    </form>
  );
}
