/** The M-of-N split of the recovery key: how many shares recover the station, out of how many made. */
export function RecoveryCountFields({
  threshold,
  shares,
  onThresholdChange,
  onSharesChange,
}: {
  threshold: number;
  shares: number;
  onThresholdChange: (threshold: number) => void;
  onSharesChange: (shares: number) => void;
}) {
  return (
    <div className="row">
      <ShareCount label="Shares needed (M)" value={threshold} onChange={onThresholdChange} />
      <ShareCount label="Shares made (N)" value={shares} onChange={onSharesChange} />
    </div>
  );
}

function ShareCount({
  label,
  value,
  onChange,
}: {
  label: string;
  value: number;
  onChange: (n: number) => void;
}) {
  return (
    <label>
      {label}{' '}
      <input
        type="number"
        min={2}
        max={16}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
      />
    </label>
  );
}
