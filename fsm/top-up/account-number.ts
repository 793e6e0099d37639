/**
 * A mainland China mobile number: 11 digits, a leading 1, then 3 to 9 (the ranges the carriers
 * issue). The top-up credits a phone account, so anything else is a typing mistake to show
 * the customer before any money goes in.
 */
export const CN_MOBILE_NUMBER = /^1[3-9]\d{9}$/;

export function isCnMobileNumber(value: unknown): value is string {
  return typeof value === 'string' && CN_MOBILE_NUMBER.test(value);
}
