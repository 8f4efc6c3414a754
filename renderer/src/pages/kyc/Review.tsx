import type { KycDeviceCheck } from '../../../../core/api/index.js';
import {
  addressKeys,
  deviceKeys,
  deviceLabels,
  idTypeLabels,
  purposeLabels,
  type CustodianForm,
  type KycForm,
} from './form';

/** "XXXX XXXX 1234": an Aadhaar number is shown by its last 4 digits only (UIDAI masked form). */
export function maskedAadhaar(number: string): string {
  return `XXXX XXXX ${number.replace(/\D/g, '').slice(-4)}`;
}

export function idNumberShown(c: Pick<CustodianForm, 'idType' | 'idNumber'>): string {
  return c.idType === 'aadhaar' ? maskedAadhaar(c.idNumber) : c.idNumber.trim();
}

type Step = 'device' | 'custodian' | 'photo' | 'consent';

/** The one review page before saving: everything that will be kept, each part with its Edit. */
export function ReviewList({
  form,
  lookup,
  onEdit,
}: {
  form: KycForm;
  lookup: KycDeviceCheck | null;
  onEdit: (step: Step) => void;
}) {
  const c = form.custodian;
  const row = (label: string, value: string, testId?: string) =>
    value.trim() === '' ? null : (
      <div key={label}>
        <dt>{label}</dt>
        <dd className="mono" data-testid={testId}>
          {value}
        </dd>
      </div>
    );
  return (
    <div className="kyc-review" data-testid="kyc-review">
      <section aria-labelledby="review-device">
        <h4 id="review-device">
          Device{' '}
          <button type="button" className="link" onClick={() => onEdit('device')}>
            Edit device
          </button>
        </h4>
        <dl className="facts">
          {deviceKeys.map((k) => row(deviceLabels[k], form.device[k]))}
          {row('Dealer / station', form.dealer)}
          {lookup && row('Station check', lookup.message)}
        </dl>
      </section>
      <section aria-labelledby="review-custodian">
        <h4 id="review-custodian">
          Custodian{' '}
          <button type="button" className="link" onClick={() => onEdit('custodian')}>
            Edit custodian
          </button>
        </h4>
        <dl className="facts">
          {row('Custodian is', c.kind === 'individual' ? 'An individual' : 'An organisation')}
          {row('Name', c.name)}
          {row(`${idTypeLabels[c.idType]} number`, idNumberShown(c), 'review-id-number')}
          {row('PAN', c.pan)}
          {row('GSTIN', c.gstin)}
          {row('Phone', c.phone)}
          {row(
            'Address',
            addressKeys
              .map((k) => c.address[k].trim())
              .filter(Boolean)
              .join(', '),
          )}
        </dl>
      </section>
      <section aria-labelledby="review-evidence">
        <h4 id="review-evidence">
          Photo and documents{' '}
          <button type="button" className="link" onClick={() => onEdit('photo')}>
            Edit photos
          </button>
        </h4>
        <div className="kyc-thumbs">
          {form.photo ? (
            <img src={form.photo.dataUrl} alt="Custodian photo" />
          ) : (
            <p className="muted">No custodian photo.</p>
          )}
          {form.idFront && <img src={form.idFront.dataUrl} alt="ID document" />}
        </div>
      </section>
      <section aria-labelledby="review-consent">
        <h4 id="review-consent">
          Consent{' '}
          <button type="button" className="link" onClick={() => onEdit('consent')}>
            Edit consent
          </button>
        </h4>
        <dl className="facts">
          {row('Purpose', purposeLabels[form.purpose])}
          {row('Notice version', form.noticeVersion)}
        </dl>
        {form.signature ? (
          <img className="kyc-signature-shown" src={form.signature} alt="Custodian's signature" />
        ) : (
          <p className="muted">Not signed.</p>
        )}
      </section>
    </div>
  );
}
