/**
 * ITU-T E.118 ICCIDs and the Luhn check digit (ISO/IEC 7812-1 Annex B) they share with IMEIs
 * (TS 23.003 6.2.1). One home for both, so perso (ranges) and KYC (validation) agree.
 */

/** The Luhn check digit to append to `digits` (a string of decimal digits). */
export function luhnCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) throw new RangeError(`Luhn input must be decimal digits, got "${digits}"`);
  let sum = 0;
  // Double every second digit counting leftwards from the one next to the check digit.
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit of `digits` is the Luhn check digit of the others. */
export function luhnValid(digits: string): boolean {
  return /^\d{2,}$/.test(digits) && luhnCheckDigit(digits.slice(0, -1)) === Number(digits.at(-1));
}

/** E.118: 19 or 20 digits, major industry identifier 89 (telecommunications), Luhn last. */
export function iccidProblems(iccid: string): string[] {
  if (!/^\d+$/.test(iccid)) return ['an ICCID is digits only'];
  const problems: string[] = [];
  if (iccid.length < 19 || iccid.length > 20)
    problems.push(`an ICCID is 19 or 20 digits, got ${iccid.length}`);
  if (!iccid.startsWith('89')) problems.push('an ICCID starts with 89 (ITU-T E.118 telecom prefix)');
  if (problems.length === 0 && !luhnValid(iccid)) {
    problems.push(
      `the Luhn check digit is wrong: expected ${luhnCheckDigit(iccid.slice(0, -1))}, got ${iccid.at(-1)}`,
    );
  }
  return problems;
}

/** The full ICCID for a body of 18 or 19 digits: the body plus its Luhn digit. */
export function iccidWithCheckDigit(body: string): string {
  if (!/^89\d{16,17}$/.test(body))
    throw new RangeError(`an ICCID body is 89 followed by 16 or 17 digits, got "${body}"`);
  return body + String(luhnCheckDigit(body));
}
