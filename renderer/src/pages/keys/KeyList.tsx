import { useEffect, useState } from 'react';
import type { KeyRecordView } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { Alert } from '../../components/Alert';
import { errorText } from '../../use-kms';
import { GenerateKey } from './GenerateKey';
import { KeyExport } from './KeyExport';
import { componentHexLengths } from './vocabulary';

function exportable(k: KeyRecordView): boolean {
  return k.state === 'active' && componentHexLengths[k.type] !== undefined && k.usage !== 'station-signing';
}

/** The keys by label and KCV (never their bytes); officers generate and export here. */
export function KeyList({ station, officer }: { station: Station; officer: boolean }) {
  const [keys, setKeys] = useState<KeyRecordView[]>([]);
  const [version, setVersion] = useState(0);
  const [latest, setLatest] = useState<KeyRecordView | null>(null);
  const [exporting, setExporting] = useState<KeyRecordView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    station.call('kms.keys', {}).then(setKeys, (err: unknown) => setError(errorText(err)));
  }, [station, version]);
  const transports = (k: KeyRecordView) =>
    keys.filter(
      (t) =>
        t.state === 'active' &&
        t.usage === 'output-transport' &&
        t.type.startsWith('AES-') &&
        t.label !== k.label,
    );
  return (
    <>
      <Alert text={error} />
      {latest && (
        <div className="banner banner-info" role="status">
          Generated <strong>{latest.label}</strong>: KCV{' '}
          <strong className="kcv">{latest.kcv.toUpperCase()}</strong>
        </div>
      )}
      <table className="grid" aria-label="Keys">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Type</th>
            <th scope="col">Usage</th>
            <th scope="col">KCV</th>
            <th scope="col">State</th>
            <th scope="col">Origin</th>
            <th scope="col">Created by</th>
            {officer && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid="key-row">
              <td>{k.label}</td>
              <td>{k.type}</td>
              <td>{k.usage}</td>
              <td className="kcv">{k.kcv.toUpperCase()}</td>
              <td>{k.state}</td>
              <td>{k.origin}</td>
              <td>{k.createdBy}</td>
              {officer && (
                <td>
                  {exportable(k) && (
                    <button type="button" aria-label={`Export ${k.label}`} onClick={() => setExporting(k)}>
                      Export
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {officer && exporting && (
        <KeyExport
          key={exporting.id}
          station={station}
          keyRecord={exporting}
          transports={transports(exporting)}
          onClose={() => setExporting(null)}
        />
      )}
      {officer && (
        <GenerateKey
          station={station}
          onDone={(k) => {
            setLatest(k);
            setVersion((v) => v + 1);
          }}
        />
      )}
    </>
  );
}
