import { useState, type FormEvent } from 'react';
import type { KeyRecordView, MethodOutput } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { downloadJson, fileDate } from '../../download';
import { errorText } from '../../use-kms';

type Exported = MethodOutput<'kms.exportKey'>;

/**
 * Export one key wrapped under an output-transport key (AES-KW), under dual control. The station
 * answers the wrapped key only; the screen shows it with both KCVs and offers it as a file.
 */
export function KeyExport({
  station,
  keyRecord,
  transports,
  onClose,
}: {
  station: Station;
  keyRecord: KeyRecordView;
  transports: KeyRecordView[];
  onClose: () => void;
}) {
  const [transportLabel, setTransportLabel] = useState(transports[0]?.label ?? '');
  const [second, setSecond] = useState(noSecond);
  const [result, setResult] = useState<Exported | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    station.call('kms.exportKey', { label: keyRecord.label, transportLabel, second }).then(
      (r) => {
        setSecond((s) => ({ ...s, passphrase: '' }));
        setError(null);
        setResult(r);
      },
      (err: unknown) => {
        setSecond((s) => ({ ...s, passphrase: '' }));
        setError(errorText(err));
      },
    );
  };
  const title = `Export ${keyRecord.label} (dual control)`;
  if (result) {
    const x = result.export;
    return (
      <section className="panel" aria-labelledby="export-title">
        <h3 id="export-title">
          {x.label} exported under {x.transportLabel}
        </h3>
        <dl className="facts">
          <dt>Key KCV</dt>
          <dd className="kcv kcv-large" data-testid="export-kcv">
            {x.kcv.toUpperCase()}
          </dd>
          <dt>Transport key KCV</dt>
          <dd className="kcv kcv-large" data-testid="export-transport-kcv">
            {x.transportKcv.toUpperCase()}
          </dd>
          <dt>Algorithm</dt>
          <dd>{x.algorithm}</dd>
          <dt>Transcript hash</dt>
          <dd>
            <code>{result.transcriptSha256}</code>
          </dd>
        </dl>
        <p className="field-title" id="wrapped-title">
          Wrapped key (hex)
        </p>
        <pre className="wrapped" aria-labelledby="wrapped-title" data-testid="export-wrapped">
          <code>{x.wrapped}</code>
        </pre>
        <div className="row">
          <button
            type="button"
            onClick={() => {
              navigator.clipboard.writeText(x.wrapped).then(
                () => setCopied(true),
                (err: unknown) => setError(`Copy failed: ${errorText(err)}`),
              );
            }}
          >
            {copied ? 'Copied' : 'Copy wrapped key'}
          </button>
          <button
            type="button"
            className="primary"
            onClick={() =>
              downloadJson(
                `key-export-${x.label.replace(/[^\w.-]/g, '_')}-${fileDate(new Date().toISOString())}.json`,
                {
                  ...x,
                  transcriptSha256: result.transcriptSha256,
                },
              )
            }
          >
            Download export file
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
        <Alert text={error} />
      </section>
    );
  }
  return (
    <form onSubmit={submit} className="panel" aria-label={title}>
      <h3>{title}</h3>
      <p className="muted">
        {keyRecord.type} {keyRecord.usage}, KCV <strong className="kcv">{keyRecord.kcv.toUpperCase()}</strong>
        . It leaves the station only wrapped (AES-KW, RFC 3394) under an output-transport key.
      </p>
      {transports.length === 0 ? (
        <p className="banner banner-warn">
          No active AES output-transport key: generate or import one first.
        </p>
      ) : (
        <label>
          Transport key{' '}
          <select value={transportLabel} onChange={(e) => setTransportLabel(e.target.value)}>
            {transports.map((t) => (
              <option key={t.id} value={t.label}>
                {t.label} (KCV {t.kcv.toUpperCase()})
              </option>
            ))}
          </select>
        </label>
      )}
      <SecondOfficer value={second} onChange={setSecond} />
      <Alert text={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={transports.length === 0}>
          Export
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
