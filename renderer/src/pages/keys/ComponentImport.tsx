import { useEffect, useRef, useState } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import type { Ceremony } from './ceremony';
import { ComponentFinal } from './ComponentFinal';
import { ComponentSpec } from './ComponentSpec';
import { ComponentStep } from './ComponentStep';

type Outcome = { label: string; kcv: string; transcriptSha256: string };

/** The key import ceremony, one step per screen: what, each custodian's component, the combined KCV. */
export function ComponentImport({ station }: { station: Station }) {
  const [ceremony, setCeremony] = useState<Ceremony | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Leaving the screen mid-ceremony (another tab, another page) cancels it at the station.
  const open = useRef<string | null>(null);
  useEffect(() => {
    open.current = ceremony?.ceremonyId ?? null;
  }, [ceremony]);
  useEffect(() => {
    const state = open;
    return () => {
      if (state.current) void station.call('kms.cancelComponentImport', {}).catch(() => undefined);
    };
  }, [station]);

  const cancel = () => {
    station.call('kms.cancelComponentImport', {}).then(
      () => {
        setCeremony(null);
        setError(null);
        setNotice('Ceremony cancelled: the components entered so far are discarded.');
      },
      (err: unknown) => setError(errorText(err)),
    );
  };
  const begin = (c: Ceremony) => {
    setOutcome(null);
    setNotice(null);
    setError(null);
    setCeremony(c);
  };

  if (ceremony && ceremony.accepted < ceremony.count)
    return (
      <>
        <ComponentStep
          key={ceremony.accepted}
          station={station}
          ceremony={ceremony}
          onAccepted={(p) => setCeremony({ ...ceremony, accepted: p.accepted, count: p.count })}
          onCancel={cancel}
        />
        <Alert text={error} />
      </>
    );
  if (ceremony)
    return (
      <>
        <ComponentFinal
          station={station}
          ceremony={ceremony}
          onFinished={(label, kcv, transcriptSha256) => {
            setCeremony(null);
            setOutcome({ label, kcv, transcriptSha256 });
          }}
          onFailed={(message) => {
            setCeremony(null);
            setError(`${message}. The ceremony is over and its components are discarded: start again.`);
          }}
          onCancel={cancel}
        />
        <Alert text={error} />
      </>
    );
  return (
    <>
      {outcome && (
        <div className="banner banner-ok" role="status" data-testid="import-result">
          <span aria-hidden="true">✓ </span>Imported <strong>{outcome.label}</strong>: KCV{' '}
          <strong className="kcv kcv-large">{outcome.kcv.toUpperCase()}</strong>
          <br />
          <span className="muted">Ceremony transcript hash: {outcome.transcriptSha256}</span>
        </div>
      )}
      {notice && (
        <div className="banner banner-info" role="status">
          {notice}
        </div>
      )}
      <Alert text={error} />
      <ComponentSpec station={station} onBegun={begin} />
    </>
  );
}
