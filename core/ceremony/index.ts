export {
  signTranscript,
  verifyTranscript,
  transcriptPdf,
  transcriptSchema,
  type Transcript,
  type SignedTranscript,
} from './transcript.js';
export { signCanonical, verifyCanonical, type CanonicalSignature } from './signature.js';
