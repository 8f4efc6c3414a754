import { useState } from 'react';
import type { MethodOutput } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';

type Written = MethodOutput<'perso.writeOutputs'>;

/** The customer's JWE and the pySim CSV of the verified cards, written beside the station database. */
export function WriteOutputs({
  station,
  batchId,
  verified,
}: {
  station: Station;
  batchId: string;
  verified: number;
}) {
  const [written, setWritten] = useState<Written | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const write = () => {
    setBusy(true);
    station.call('perso.writeOutputs', { batchId }).then(
      (w) => {
        setBusy(false);
        setError(null);
        setWritten(w);
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  const files = written
    ? [
        ...(written.jwe ? [{ kind: 'JWE for the customer', ...written.jwe }] : []),
        { kind: 'pySim CSV', ...written.csv },
      ]
    : [];
  return (
    <section className="panel" aria-labelledby="outputs-title">
      <h4 id="outputs-title">Output files</h4>
      <p className="muted">
        From the {verified} verified card{verified === 1 ? '' : 's'}; their SHA-256 go to the audit log.
      </p>
      <button type="button" className="primary" onClick={write} disabled={busy || verified === 0}>
        Write output files
      </button>
      <Alert text={error} />
      {written && (
        <div role="status" data-testid="outputs-result">
          {!written.jwe && (
            <p className="banner banner-warn">The order has no customer key: no JWE was written.</p>
          )}
          <table className="grid" aria-label="Written files">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Path</th>
                <th scope="col">Records</th>
                <th scope="col">SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.path}>
                  <th scope="row">{f.kind}</th>
                  <td className="mono path">{f.path}</td>
                  <td className="num">{f.records}</td>
                  <td className="mono hash">{f.sha256}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
