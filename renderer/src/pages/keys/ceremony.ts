import type { KeyType, KeyUsage } from './vocabulary';

/** A key import by components once begun: what is imported and how far it has come. */
export type Ceremony = {
  ceremonyId: string;
  label: string;
  type: KeyType;
  usage: KeyUsage;
  accepted: number;
  count: number;
};
