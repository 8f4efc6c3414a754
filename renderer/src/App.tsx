import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../core/api/index.js';
import type { Station } from './api';
import type { ConnectionState } from './web-bridge';
import { ReadersPage } from './pages/ReadersPage';
import { PlaceholderPage } from './pages/PlaceholderPage';
import { KeysPage } from './pages/KeysPage';
import { AuditPage } from './pages/AuditPage';
import { PersoPage } from './pages/PersoPage';
import { KycPage } from './pages/KycPage';
import { SyncPage } from './pages/SyncPage';
import { SyncIndicator } from './pages/sync/SyncIndicator';

const sections = [
  { id: 'readers', label: 'Readers' },
  { id: 'perso', label: 'Personalisation' },
  { id: 'kyc', label: 'KYC' },
  { id: 'keys', label: 'Keys & Ceremonies' },
  { id: 'sync', label: 'Sync' },
  { id: 'audit', label: 'Audit' },
  { id: 'settings', label: 'Settings' },
] as const;
type SectionId = (typeof sections)[number]['id'];

const connectionText: Record<ConnectionState, string> = {
  connecting: 'Connecting to the station…',
  open: 'Connected',
  closed: 'Connection lost: reconnecting…',
  lost: 'Cannot reach the station: restart it and open the address it prints',
};

export function App({ station }: { station: Station }) {
  const [section, setSection] = useState<SectionId>('readers');
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [info, setInfo] = useState<MethodOutput<'app.info'> | null>(null);

  useEffect(() => station.onConnection(setConnection), [station]);
  useEffect(() => {
    if (connection !== 'open') return;
    station.call('app.info', {}).then(setInfo, () => setInfo(null));
  }, [station, connection]);

  return (
    <div className="shell">
      <header className="topbar">
        <h1 className="brand">OBF Provisioning Workstation</h1>
        <p className={`connection connection-${connection}`} role="status" aria-live="polite">
          <span aria-hidden="true">{connection === 'open' ? '●' : '○'}</span> {connectionText[connection]}
          {info ? ` · ${info.host} host · v${info.version}` : ''}
        </p>
        <SyncIndicator station={station} connection={connection} onOpen={() => setSection('sync')} />
      </header>
      <nav className="sidenav" aria-label="Workflows">
        <ul>
          {sections.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className="navlink"
                aria-current={section === s.id ? 'page' : undefined}
                onClick={() => setSection(s.id)}
              >
                {s.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main">
        {section === 'readers' ? (
          <ReadersPage station={station} connection={connection} />
        ) : section === 'perso' ? (
          <PersoPage station={station} connection={connection} onOpenKeys={() => setSection('keys')} />
        ) : section === 'kyc' ? (
          <KycPage station={station} connection={connection} onOpenKeys={() => setSection('keys')} />
        ) : section === 'keys' ? (
          <KeysPage station={station} connection={connection} />
        ) : section === 'sync' ? (
          <SyncPage station={station} connection={connection} />
        ) : section === 'audit' ? (
          <AuditPage station={station} connection={connection} />
        ) : section === 'settings' ? (
          <PlaceholderPage
            title="Settings"
            body={
              info
                ? `Host: ${info.host}. Reader source: ${info.readerSource}. Version ${info.version}.`
                : 'Not connected.'
            }
          />
        ) : (
          <PlaceholderPage
            title={sections.find((s) => s.id === section)!.label}
            body="This workflow is being built."
          />
        )}
      </main>
    </div>
  );
}
