import type { MethodOutput } from '../../../../core/api/index.js';

/** Fresh recovery shares on their way to their custodians (after setup or a re-share). */
export type Handout = {
  title: string;
  threshold: number;
  shares: MethodOutput<'kms.changeRecovery'>['shares'];
  transcriptSha256: string;
};
