import { useState, type FormEvent } from 'react';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { noSecond, SecondOfficer } from '../../components/SecondOfficer';
import { downloadJson, fileDate } from '../../download';
import { errorText } from '../../use-kms';

/** The whole chain, signed by the station, for an auditor to take away (dual control). */
export function AuditExport({ station }: { station: Station }) {
  const [second, setSecond] = useState(noSecond);
  const [saved, setSaved] = useState<{ fileName: string; sha256: string; rows: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = { second: { username: second.username.trim(), passphrase: second.passphrase } };
    setSecond((s) => ({ ...s, passphrase: '' }));
    setBusy(true);
    station.call('audit.export', input).then(
      (exported) => {
        const fileName = `audit-export-${exported.record.stationId}-${fileDate(exported.record.exportedAt)}.json`;
        downloadJson(fileName, exported);
        setBusy(false);
        setError(null);
        setSaved({ fileName, sha256: exported.sha256, rows: exported.record.rows.length });
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return (
    <form onSubmit={submit} className="panel" aria-label="Export the audit chain">
      <h3>Export the audit chain (dual control)</h3>
      <p className="muted">
        The whole chain as one JSON file signed by the station; it verifies away from the station.
      </p>
      <SecondOfficer value={second} onChange={setSecond} />
      {saved && (
        <div className="banner banner-ok" role="status" data-testid="audit-export-result">
          <span aria-hidden="true">✓ </span>Saved <strong>{saved.fileName}</strong> ({saved.rows} rows).
          SHA-256: <code data-testid="audit-export-sha256">{saved.sha256}</code>
        </div>
      )}
      <Alert text={error} />
      <button type="submit" className="primary" disabled={busy}>
        Export and download
      </button>
    </form>
  );
}
