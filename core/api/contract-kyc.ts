/** The Machine KYC part of the contract (clause 3.2.4): methods `kyc.*` and the `kyc` event. */

export const kycMethods = {} as const;

export const kycEvents = {} as const;
