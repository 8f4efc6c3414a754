import type { SecondCredentials } from '../../components/SecondOfficer';

/** In a recovery session the custodians stand for the second person; otherwise a second officer signs. */
export function secondFor(recovery: boolean, second: SecondCredentials): SecondCredentials | undefined {
  return recovery ? undefined : { username: second.username.trim(), passphrase: second.passphrase };
}
