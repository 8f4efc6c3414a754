import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import type { BatchSummaryView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';

type Rows = { name: string; text: string; lines: number };

/** The rows file a manifest names, if the text parses that far; the station validates the rest. */
function namedRowsFile(manifest: string): string | null {
  try {
    const parsed: unknown = JSON.parse(manifest);
    if (parsed && typeof parsed === 'object' && 'rowsFile' in parsed && typeof parsed.rowsFile === 'string')
      return parsed.rowsFile;
  } catch {
    // Not JSON (yet): the station's answer names the problem when the order is imported.
  }
  return null;
}

/**
 * An order from its files (the manifest .json, and the rows .csv it names) or pasted. The
 * station validates it; its message names the field or the CSV line at fault, shown as is.
 */
export function OrderImport({
  station,
  onImported,
}: {
  station: Station;
  onImported: (b: BatchSummaryView) => void;
}) {
  const id = useId();
  const [manifest, setManifest] = useState('');
  const [manifestName, setManifestName] = useState<string | null>(null);
  const [rows, setRows] = useState<Rows | null>(null);
  const [pastedRows, setPastedRows] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [imported, setImported] = useState<BatchSummaryView | null>(null);
  const wanted = namedRowsFile(manifest);

  const choose = (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = ''; // choosing the same file again (after fixing it) reads it again
    const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
    const csv = files.find((f) => f.name.toLowerCase().endsWith('.csv'));
    const others = files.filter((f) => f !== json && f !== csv);
    if (others.length) {
      setError(
        `not an order file: ${others.map((f) => f.name).join(', ')} (choose the manifest .json and its .csv)`,
      );
      return;
    }
    setImported(null);
    setError(null);
    if (json) {
      json.text().then(
        (text) => {
          setManifest(text);
          setManifestName(json.name);
        },
        (err: unknown) => setError(`${json.name}: ${errorText(err)}`),
      );
    }
    if (csv) {
      csv.text().then(
        (text) =>
          setRows({ name: csv.name, text, lines: text.split(/\r?\n/).filter((l) => l.trim()).length }),
        (err: unknown) => setError(`${csv.name}: ${errorText(err)}`),
      );
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!manifest.trim()) {
      setError('Choose the order manifest (.json) or paste it first.');
      return;
    }
    setBusy(true);
    setImported(null);
    const rowsCsv = rows?.text ?? (pastedRows.trim() ? pastedRows : undefined);
    const input = rowsCsv === undefined ? { manifest } : { manifest, rowsCsv };
    station.call('perso.importOrder', input).then(
      (batch) => {
        setBusy(false);
        setError(null);
        setImported(batch);
        setManifest('');
        setManifestName(null);
        setRows(null);
        setPastedRows('');
        onImported(batch);
      },
      (err: unknown) => {
        setBusy(false);
        setError(`The order was not imported. ${errorText(err)}`);
      },
    );
  };

  return (
    <form className="panel medium" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Import an order</h3>
      <label>
        Order files (manifest .json, and the rows .csv it names)
        <input type="file" accept=".json,.csv,application/json,text/csv" multiple onChange={choose} />
      </label>
      <label>
        Order manifest (JSON){manifestName ? <span className="muted"> · from {manifestName}</span> : null}
        <textarea
          className="mono"
          rows={6}
          value={manifest}
          onChange={(e) => {
            setManifest(e.target.value);
            setManifestName(null);
          }}
          spellCheck={false}
          placeholder="Paste the manifest here, or choose its file above"
        />
      </label>
      {rows ? (
        <p className="row">
          <span>
            Rows: <strong>{rows.name}</strong> ({rows.lines - 1} rows)
          </span>
          <button type="button" onClick={() => setRows(null)}>
            Remove rows file
          </button>
        </p>
      ) : (
        <details>
          <summary>Paste the rows CSV instead</summary>
          <label>
            Rows CSV (iccid,imsi[,impi])
            <textarea
              className="mono"
              rows={4}
              value={pastedRows}
              onChange={(e) => setPastedRows(e.target.value)}
              spellCheck={false}
            />
          </label>
        </details>
      )}
      {wanted && !rows && !pastedRows.trim() ? (
        <p className="banner banner-warn" role="status">
          This manifest names the rows file <strong>{wanted}</strong>: choose it too, or paste it.
        </p>
      ) : wanted && rows && rows.name !== wanted ? (
        <p className="banner banner-warn" role="status">
          This manifest names <strong>{wanted}</strong>; the rows chosen come from{' '}
          <strong>{rows.name}</strong>.
        </p>
      ) : null}
      <Alert text={error} />
      {imported && (
        <p className="banner banner-ok" role="status" data-testid="import-result">
          <span aria-hidden="true">✓ </span>Imported batch <strong>{imported.id}</strong> for{' '}
          {imported.customer}: {imported.cardCount} cards, ICCID {imported.iccidFirst} to {imported.iccidLast}
          .
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Import order
      </button>
    </form>
  );
}
