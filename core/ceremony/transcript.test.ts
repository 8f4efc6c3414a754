import { generateKeyPairSync } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { signTranscript, transcriptPdf, verifyTranscript, type Transcript } from './transcript.js';

const stationKey = new Uint8Array(
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }),
);
const transcript: Transcript = {
  version: 1,
  ceremony: 'key-import-components',
  stationId: 'station-1',
  startedAt: '2026-11-27T10:00:00.000Z',
  endedAt: '2026-11-27T10:05:00.000Z',
  participants: [
    { username: 'alice', role: 'security_officer', part: 'component 1' },
    { username: 'bob', role: 'security_officer', part: 'component 2' },
  ],
  steps: [
    { at: '2026-11-27T10:01:00.000Z', actor: 'alice', what: 'entered component 1, KCV 1A2B3C' },
    { at: '2026-11-27T10:03:00.000Z', actor: 'bob', what: 'entered component 2, KCV 4D5E6F' },
  ],
  kcvs: { 'component 1': '1a2b3c', 'component 2': '4d5e6f', 'issuer-isd-master': 'abcdef' },
};

describe('ceremony transcripts', () => {
  it('are signed by the station key and verify', () => {
    const signed = signTranscript(transcript, stationKey);
    expect(signed.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyTranscript(signed)).toBe(true);
  });

  it('fail verification when any field is changed after signing', () => {
    const signed = signTranscript(transcript, stationKey);
    const altered = {
      ...signed,
      transcript: {
        ...signed.transcript,
        kcvs: { ...signed.transcript.kcvs, 'issuer-isd-master': 'abcdee' },
      },
    };
    expect(verifyTranscript(altered)).toBe(false);
    const otherKey = signTranscript(
      transcript,
      new Uint8Array(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' })),
    );
    expect(verifyTranscript({ ...signed, publicKey: otherKey.publicKey })).toBe(false);
  });

  it('hash the same record the same way whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(transcript).reverse()) as Transcript;
    expect(signTranscript(reordered, stationKey).sha256).toBe(signTranscript(transcript, stationKey).sha256);
  });

  it('render a printable PDF that names the ceremony and carries the hash', async () => {
    const signed = signTranscript(transcript, stationKey);
    const pdf = await transcriptPdf(signed);
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toBe('OBF ceremony transcript: Key import by components');
    expect(doc.getSubject()).toBe(`sha256 ${signed.sha256}`);
  });

  it('refuse a record that is not a transcript', () => {
    expect(() => signTranscript({ ...transcript, kcvs: { x: 'not-a-kcv' } }, stationKey)).toThrow();
  });
});
