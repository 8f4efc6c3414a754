import type { KeyType, KeyUsage } from './vocabulary';

export type KeySpec = { label: string; type: KeyType; usage: KeyUsage };

/** A new key's label, type and usage; the caller says which types and usages this way of making it allows. */
export function KeySpecFields({
  value,
  onChange,
  types,
  usages,
}: {
  value: KeySpec;
  onChange: (spec: KeySpec) => void;
  types: readonly KeyType[];
  usages: readonly KeyUsage[];
}) {
  return (
    <>
      <label>
        Label{' '}
        <input
          value={value.label}
          onChange={(e) => onChange({ ...value, label: e.target.value })}
          spellCheck={false}
        />
      </label>
      <label>
        Type{' '}
        <select value={value.type} onChange={(e) => onChange({ ...value, type: e.target.value as KeyType })}>
          {types.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label>
        Usage{' '}
        <select
          value={value.usage}
          onChange={(e) => onChange({ ...value, usage: e.target.value as KeyUsage })}
        >
          {usages.map((u) => (
            <option key={u}>{u}</option>
          ))}
        </select>
      </label>
    </>
  );
}
