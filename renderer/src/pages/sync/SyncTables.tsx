import type { MethodOutput } from '../../../../core/api/index.js';

export function QuarantineTable({ rows }: { rows: MethodOutput<'sync.quarantine'> }) {
  if (rows.length === 0)
    return <p className="muted">Nothing quarantined: the server accepted every record.</p>;
  return (
    <table className="grid" aria-label="Quarantined records">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Kind</th>
          <th scope="col">About</th>
          <th scope="col">Rejected</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((q) => (
          <tr key={q.seq}>
            <td>{q.seq}</td>
            <td>{q.kind}</td>
            <td>{q.ref}</td>
            <td>{q.rejectedAt}</td>
            <td>{q.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RegistryTables({ registry }: { registry: MethodOutput<'sync.registry'> }) {
  return (
    <>
      <h4>Applications</h4>
      {registry.applications.length === 0 ? (
        <p className="muted">No applications pulled yet.</p>
      ) : (
        <table className="grid" aria-label="Applications">
          <thead>
            <tr>
              <th scope="col">Application</th>
              <th scope="col">Provider</th>
              <th scope="col">State</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {registry.applications.map((a) => (
              <tr key={a.appId}>
                <td>
                  {a.name} <span className="muted">({a.appId})</span>
                </td>
                <td>{a.provider}</td>
                <td>{a.state}</td>
                <td>{a.updatedAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>Permissions</h4>
      {registry.permissions.length === 0 ? (
        <p className="muted">No permission changes pulled yet.</p>
      ) : (
        <table className="grid" aria-label="Permissions">
          <thead>
            <tr>
              <th scope="col">ICCID</th>
              <th scope="col">Application</th>
              <th scope="col">Permission</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {registry.permissions.map((p) => (
              <tr key={`${p.iccid}/${p.appId}`}>
                <td>{p.iccid}</td>
                <td>{p.appId}</td>
                <td>{p.granted ? '✓ granted' : '✗ denied'}</td>
                <td>{p.updatedAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
