import { useState } from 'react';
import type { KmsStatus } from '../../../../core/api/index.js';
import type { Station } from '../../api';
import { ChangeRecovery } from './ChangeRecovery';
import { ComponentImport } from './ComponentImport';
import type { Handout } from './handout';
import { KeyList } from './KeyList';
import { UsersPanel } from './UsersPanel';
import { roleName } from './vocabulary';

type Tab = 'keys' | 'import' | 'users' | 'recovery';
const tabLabels: Record<Tab, string> = {
  keys: 'Keys',
  import: 'Import by components',
  users: 'Users',
  recovery: 'Recovery shares',
};

/** The unlocked station: who is in, the lock, and the sections their role (or a recovery session) opens. */
export function Workspace({
  station,
  status,
  onShares,
}: {
  station: Station;
  status: KmsStatus & { user: NonNullable<KmsStatus['user']> };
  onShares: (h: Handout) => void;
}) {
  const { user } = status;
  const officer = user.role === 'security_officer';
  // A recovery session restores access and nothing else: no keys, straight to the users.
  const tabs: Tab[] = user.viaRecovery
    ? ['users', 'recovery']
    : officer
      ? ['keys', 'import', 'users', 'recovery']
      : ['keys', 'users'];
  const [chosen, setChosen] = useState<Tab>(tabs[0]!);
  const tab = tabs.includes(chosen) ? chosen : tabs[0]!;
  return (
    <>
      <div className="page-head">
        <p>
          Logged in as <strong>{user.username}</strong> (
          {user.viaRecovery ? 'recovery custodians' : roleName(user.role)}) · station{' '}
          <code>{status.stationId}</code>
        </p>
        <button type="button" onClick={() => void station.call('kms.lock', {})}>
          Lock station
        </button>
      </div>
      {user.viaRecovery && (
        <div className="banner banner-warn" role="status" data-testid="recovery-banner">
          <strong>Recovery session: restore access, then lock.</strong> Reset the passphrases that were lost,
          enrol or change users, make new shares if some are lost; keys cannot be used until someone logs in.
        </div>
      )}
      <nav className="tabs" aria-label="Keys & Ceremonies sections">
        {tabs.map((t) => (
          <button
            key={t}
            type="button"
            className="tab"
            aria-current={t === tab ? 'page' : undefined}
            onClick={() => setChosen(t)}
          >
            {tabLabels[t]}
          </button>
        ))}
      </nav>
      {tab === 'keys' ? (
        <KeyList station={station} officer={officer} />
      ) : tab === 'import' ? (
        <ComponentImport station={station} />
      ) : tab === 'users' ? (
        <UsersPanel station={station} user={user} />
      ) : (
        <ChangeRecovery station={station} recovery={user.viaRecovery} onShares={onShares} />
      )}
    </>
  );
}
