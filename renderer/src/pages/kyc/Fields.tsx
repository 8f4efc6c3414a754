import { useId } from 'react';
import type { CustodianKind, IdDocumentType } from '../../../../core/api/index.js';
import { enterMovesOn, KycField } from './Field';
import {
  addressLabels,
  custodianTextRule,
  deviceKinds,
  deviceLabels,
  deviceRule,
  idKind,
  idTypeLabels,
  idTypesFor,
  type AddressKey,
  type CustodianForm,
  type DeviceForm,
  type DeviceKey,
} from './form';
import type { FieldChecks, FieldSpec } from './use-field-checks';

// ── Specs: the same list drives the fields on screen and the check before a step moves on ──

export function deviceSpec(device: DeviceForm, key: DeviceKey, prefix = 'device'): FieldSpec {
  return {
    path: `${prefix}.${key}`,
    value: device[key],
    kind: deviceKinds[key],
    local: deviceRule(key, device[key]),
  };
}

export function deviceSpecs(device: DeviceForm, keys: readonly DeviceKey[], prefix = 'device'): FieldSpec[] {
  return keys.map((k) => deviceSpec(device, k, prefix));
}

type CustodianKey = 'name' | 'idNumber' | 'pan' | 'gstin' | 'phone' | AddressKey;

export function custodianSpec(c: CustodianForm, key: CustodianKey, prefix = 'custodian'): FieldSpec {
  switch (key) {
    case 'name':
      return { path: `${prefix}.name`, value: c.name, local: custodianTextRule('name', c.name) };
    case 'idNumber':
      return {
        path: `${prefix}.idDocument.number`,
        value: c.idNumber,
        kind: idKind(c.idType),
        local: c.idNumber.trim() === '' ? 'the ID document number is required' : null,
      };
    case 'pan':
      return {
        path: `${prefix}.pan`,
        value: c.pan,
        kind: 'pan',
        local:
          c.kind === 'organisation' && c.pan.trim() === '' ? 'the PAN is required for an organisation' : null,
      };
    case 'gstin':
      return { path: `${prefix}.gstin`, value: c.gstin, kind: 'gstin', local: null };
    case 'phone':
      return {
        path: `${prefix}.phone`,
        value: c.phone,
        kind: 'phone',
        local: c.phone.trim() === '' ? 'the phone number is required' : null,
      };
    case 'pincode':
      return {
        path: `${prefix}.address.pincode`,
        value: c.address.pincode,
        kind: 'pincode',
        local: c.address.pincode.trim() === '' ? 'the PIN code is required' : null,
      };
    default:
      return {
        path: `${prefix}.address.${key}`,
        value: c.address[key],
        local: custodianTextRule(key, c.address[key]),
      };
  }
}

const custodianKeys: readonly CustodianKey[] = [
  'name',
  'idNumber',
  'pan',
  'gstin',
  'phone',
  'line1',
  'line2',
  'city',
  'state',
  'pincode',
  'country',
];

export function custodianSpecs(c: CustodianForm, prefix = 'custodian'): FieldSpec[] {
  return custodianKeys.map((k) => custodianSpec(c, k, prefix));
}

// ── Fields ─────────────────────────────────────────────────────────────────────────────────

const numeric = new Set<DeviceKey>(['iccid', 'eid', 'imei']);

/** Device fields: identifiers in a monospace face, numeric keypad for the digit-only ones. */
export function DeviceFields({
  device,
  onChange,
  checks,
  keys,
  prefix = 'device',
  autoFocusFirst,
  onIccidChecked,
}: {
  device: DeviceForm;
  onChange: (device: DeviceForm) => void;
  checks: FieldChecks;
  keys: readonly DeviceKey[];
  prefix?: string;
  autoFocusFirst?: boolean;
  /** Called once the ICCID is left with a valid value (the station then looks the device up). */
  onIccidChecked?: (iccid: string) => void;
}) {
  return (
    <div className="kyc-grid">
      {keys.map((key, i) => {
        const spec = (d: DeviceForm) => deviceSpec(d, key, prefix);
        return (
          <KycField
            key={key}
            label={deviceLabels[key]}
            value={device[key]}
            inputMode={numeric.has(key) ? 'numeric' : 'text'}
            autoFocus={autoFocusFirst && i === 0}
            message={checks.messages[`${prefix}.${key}`]}
            onChange={(v) => {
              const next = { ...device, [key]: v };
              onChange(next);
              checks.later(spec(next));
            }}
            onCommit={(v) => {
              const next = { ...device, [key]: v };
              void checks.check(spec(next)).then((ok) => {
                if (ok && key === 'iccid' && v.trim() !== '') onIccidChecked?.(v.trim());
              });
            }}
          />
        );
      })}
    </div>
  );
}

/** Custodian fields: who they are, the ID document they show, how to reach them. */
export function CustodianFields({
  custodian,
  onChange,
  checks,
  prefix = 'custodian',
  autoFocusFirst,
  aadhaarDropped,
}: {
  custodian: CustodianForm;
  onChange: (c: CustodianForm) => void;
  checks: FieldChecks;
  prefix?: string;
  autoFocusFirst?: boolean;
  /** A restored draft had an Aadhaar number, which drafts never keep: say to type it again. */
  aadhaarDropped?: boolean;
}) {
  const kindId = useId();
  const typeId = useId();
  const c = custodian;
  const field = (key: CustodianKey, label: string, extra: Partial<Parameters<typeof KycField>[0]> = {}) => {
    const spec = (next: CustodianForm) => custodianSpec(next, key, prefix);
    const value =
      key === 'idNumber' ? c.idNumber : key in c.address ? c.address[key as AddressKey] : c[key as 'name'];
    const update = (v: string): CustodianForm =>
      key === 'idNumber'
        ? { ...c, idNumber: v }
        : key in c.address
          ? { ...c, address: { ...c.address, [key]: v } }
          : { ...c, [key]: v };
    return (
      <KycField
        label={label}
        value={value}
        message={checks.messages[spec(c).path]}
        onChange={(v) => {
          const next = update(v);
          onChange(next);
          checks.later(spec(next));
        }}
        onCommit={(v) => void checks.check(spec(update(v)))}
        {...extra}
      />
    );
  };
  const aadhaar = c.idType === 'aadhaar';
  return (
    <>
      <div className="kyc-grid">
        <div className="field">
          <label htmlFor={kindId}>Custodian is</label>
          <select
            id={kindId}
            value={c.kind}
            onKeyDown={enterMovesOn}
            // The first control of the step when asked: keyboard first (DESIGN §10).
            autoFocus={autoFocusFirst}
            onChange={(e) => {
              const kind = e.target.value as CustodianKind;
              const types = idTypesFor[kind];
              onChange({ ...c, kind, idType: types.includes(c.idType) ? c.idType : types[0]!, idNumber: '' });
            }}
          >
            <option value="individual">An individual</option>
            <option value="organisation">An organisation</option>
          </select>
        </div>
        {field('name', c.kind === 'organisation' ? 'Registered name' : 'Full name', { mono: false })}
        <div className="field">
          <label htmlFor={typeId}>ID document type</label>
          <select
            id={typeId}
            value={c.idType}
            onKeyDown={enterMovesOn}
            onChange={(e) => onChange({ ...c, idType: e.target.value as IdDocumentType, idNumber: '' })}
          >
            {idTypesFor[c.kind].map((t) => (
              <option key={t} value={t}>
                {idTypeLabels[t]}
              </option>
            ))}
          </select>
        </div>
        {field('idNumber', `${idTypeLabels[c.idType]} number`, {
          // Aadhaar: typed masked, kept as its last 4 digits only (UIDAI masked Aadhaar).
          type: aadhaar ? 'password' : 'text',
          inputMode: aadhaar ? 'numeric' : 'text',
          hint: aadhaar
            ? aadhaarDropped
              ? 'Type the Aadhaar number again: drafts never keep it. Only its last 4 digits are kept.'
              : 'Only the last 4 digits are kept and shown.'
            : undefined,
        })}
        {field('pan', c.kind === 'organisation' ? 'PAN (required)' : 'PAN (optional)')}
        {field('gstin', 'GSTIN (optional)')}
        {field('phone', 'Phone (E.164, e.g. +919812345678)', { type: 'tel', inputMode: 'tel' })}
      </div>
      <fieldset className="kyc-address">
        <legend>Address</legend>
        <div className="kyc-grid">
          {field('line1', addressLabels.line1, { mono: false })}
          {field('line2', `${addressLabels.line2} (optional)`, { mono: false })}
          {field('city', addressLabels.city, { mono: false })}
          {field('state', addressLabels.state, { mono: false })}
          {field('pincode', addressLabels.pincode, { inputMode: 'numeric' })}
          {field('country', addressLabels.country)}
        </div>
      </fieldset>
    </>
  );
}
