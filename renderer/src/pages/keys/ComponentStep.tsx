import { useState, type FormEvent } from 'react';
import type { MethodOutput } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { MaskedInput } from '../../components/MaskedInput';
import { StepHeading } from '../../components/StepHeading';
import { UserNameInput } from '../../components/UserNameInput';
import { compactHex } from '../../hex';
import { errorText } from '../../use-kms';
import type { Ceremony } from './ceremony';
import { CeremonyActions, KcvInput } from './CeremonyFields';
import { KcvCompare } from './KcvCompare';
import { useComponentKcv } from './use-component-kcv';
import { componentHexLengths } from './vocabulary';

/**
 * One custodian's turn: they prove who they are, type their component masked, and type its KCV
 * from their sheet; the station's KCV of what they typed shows beside it before they add it.
 */
export function ComponentStep({
  station,
  ceremony,
  onAccepted,
  onCancel,
}: {
  station: Station;
  ceremony: Ceremony;
  onAccepted: (progress: MethodOutput<'kms.addComponent'>) => void;
  onCancel: () => void;
}) {
  const index = ceremony.accepted + 1;
  const last = index === ceremony.count;
  const [username, setUsername] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [component, setComponent] = useState('');
  const [sheetKcv, setSheetKcv] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [live, resetLive] = useComponentKcv(station, ceremony.type, component);
  const digits = (componentHexLengths[ceremony.type] ?? []).join(' or ');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = {
      ceremonyId: ceremony.ceremonyId,
      custodian: { username: username.trim(), passphrase },
      component: compactHex(component),
      kcv: sheetKcv.trim().toLowerCase(),
    };
    // The secrets leave the form with the call, whatever the station answers.
    setPassphrase('');
    setComponent('');
    resetLive();
    setBusy(true);
    station.call('kms.addComponent', input).then(
      (progress) => onAccepted(progress),
      (err: unknown) => {
        setBusy(false);
        setError(`${errorText(err)}. Type the passphrase and the component again.`);
      },
    );
  };
  return (
    <form onSubmit={submit} className="panel ceremony" aria-labelledby="component-title">
      <StepHeading id="component-title">
        Component {index} of {ceremony.count}
      </StepHeading>
      <p className="step-meta">
        <span>
          Key: <strong>{ceremony.label}</strong> ({ceremony.type}, {ceremony.usage})
        </span>
        <span>
          Now: <strong>custodian {index}</strong> enters component {index}; the others look away.
        </span>
        <span>Next: {last ? 'the expected KCV of the combined key' : `custodian ${index + 1}`}</span>
      </p>
      <div className="row">
        <UserNameInput label="Custodian user name" value={username} onChange={setUsername} />
        <MaskedInput label="Custodian passphrase" value={passphrase} onChange={setPassphrase} />
      </div>
      <MaskedInput
        label={`Component ${index}`}
        value={component}
        onChange={setComponent}
        mono
        hint={`${digits} hex digits from your sheet; spaces are ignored.`}
      />
      <KcvInput label="KCV on your sheet" value={sheetKcv} onChange={setSheetKcv} />
      <KcvCompare live={live} sheet={sheetKcv} />
      <Alert text={error} />
      <CeremonyActions busy={busy} onCancel={onCancel}>
        Add component {index}
      </CeremonyActions>
    </form>
  );
}
