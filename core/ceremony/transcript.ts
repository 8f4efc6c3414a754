/**
 * Ceremony transcripts: every ceremony (station initialisation, key import by components, key
 * generation) ends in a canonical JSON record — who, what, when, KCVs, share counts, hashes,
 * station id — signed by the station key (Ed25519), and a printable PDF with a QR code of the
 * record's SHA-256 for the witnesses to sign and file.
 */
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import QRCode from 'qrcode';
import { z } from 'zod';
import { signCanonical, verifyCanonical, type CanonicalSignature } from './signature.js';

export const transcriptSchema = z.object({
  version: z.literal(1),
  ceremony: z.enum([
    'station-initialisation',
    'key-import-components',
    'key-generation',
    'key-destruction',
    'recovery',
    'recovery-reshare',
    'key-export',
  ]),
  stationId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  participants: z.array(z.object({ username: z.string(), role: z.string(), part: z.string() })),
  steps: z.array(z.object({ at: z.string(), actor: z.string(), what: z.string() })),
  kcvs: z.record(z.string(), z.string().regex(/^[0-9a-f]{6}$/)),
  shares: z.object({ threshold: z.number().int(), total: z.number().int() }).optional(),
  hashes: z.record(z.string(), z.string()).optional(),
});
export type Transcript = z.infer<typeof transcriptSchema>;

export interface SignedTranscript extends CanonicalSignature {
  transcript: Transcript;
}

export function signTranscript(transcript: Transcript, stationKeyPkcs8: Uint8Array): SignedTranscript {
  const checked = transcriptSchema.parse(transcript);
  return { transcript: checked, ...signCanonical(checked, stationKeyPkcs8) };
}

/** True when the signature and the hash both match the record as it stands. */
export function verifyTranscript(signed: SignedTranscript): boolean {
  const parsed = transcriptSchema.safeParse(signed.transcript);
  return parsed.success && verifyCanonical(parsed.data, signed);
}

const titles: Record<Transcript['ceremony'], string> = {
  'station-initialisation': 'Station initialisation',
  'key-import-components': 'Key import by components',
  'key-generation': 'Key generation',
  'key-destruction': 'Key destruction',
  recovery: 'Recovery unlock',
  'recovery-reshare': 'New recovery shares',
  'key-export': 'Key export under a transport key',
};

/** The printable transcript: one A4 page per 40 steps, KCVs in large type, the QR code of the hash. */
export async function transcriptPdf(signed: SignedTranscript): Promise<Uint8Array> {
  const t = signed.transcript;
  const doc = await PDFDocument.create();
  doc.setTitle(`OBF ceremony transcript: ${titles[t.ceremony]}`);
  doc.setSubject(`sha256 ${signed.sha256}`);
  doc.setProducer('OBF Provisioning Workstation');
  doc.setCreationDate(new Date(t.endedAt));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const mono = await doc.embedFont(StandardFonts.Courier);
  let page = doc.addPage([595, 842]);
  let y = 800;
  const line = (text: string, size = 10, f = font, x = 50) => {
    if (y < 60) {
      page = doc.addPage([595, 842]);
      y = 800;
    }
    page.drawText(text, { x, y, size, font: f, color: rgb(0, 0, 0) });
    y -= size + 6;
  };
  line(`Ceremony transcript: ${titles[t.ceremony]}`, 18, bold);
  line(`Station ${t.stationId}`, 10, mono);
  line(`From ${t.startedAt} to ${t.endedAt}`);
  y -= 6;
  line('Participants', 12, bold);
  for (const p of t.participants) line(`${p.username} (${p.role.replace('_', ' ')}): ${p.part}`);
  y -= 6;
  line('Key check values', 12, bold);
  for (const [name, kcv] of Object.entries(t.kcvs)) line(`${name}: ${kcv.toUpperCase()}`, 16, mono);
  if (t.shares) line(`Recovery: any ${t.shares.threshold} of ${t.shares.total} shares`, 11);
  y -= 6;
  line('Steps', 12, bold);
  for (const s of t.steps) line(`${s.at}  ${s.actor}: ${s.what}`, 9);
  y -= 10;
  line('SHA-256 of the signed record', 12, bold);
  line(signed.sha256, 9, mono);
  // The QR code, drawn module by module (vector, prints sharp at any size).
  const qr = QRCode.create(signed.sha256, { errorCorrectionLevel: 'M' });
  const cell = 3;
  const size = qr.modules.size;
  const qy = Math.max(60, y - size * cell - 10);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (qr.modules.get(r, c))
        page.drawRectangle({
          x: 50 + c * cell,
          y: qy + (size - r) * cell,
          width: cell,
          height: cell,
          color: rgb(0, 0, 0),
        });
    }
  }
  const sx = 50 + size * cell + 40;
  page.drawText('Witnessed and signed:', { x: sx, y: qy + size * cell - 10, size: 11, font: bold });
  t.participants.forEach((p, i) => {
    const ly = qy + size * cell - 40 - i * 36;
    page.drawLine({ start: { x: sx, y: ly }, end: { x: sx + 220, y: ly }, thickness: 0.5 });
    page.drawText(p.username, { x: sx, y: ly - 12, size: 9, font });
  });
  return doc.save();
}
