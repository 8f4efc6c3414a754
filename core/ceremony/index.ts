export {
  signTranscript,
  verifyTranscript,
  transcriptPdf,
  transcriptSchema,
  type Transcript,
  type SignedTranscript,
} from './transcript.js';
