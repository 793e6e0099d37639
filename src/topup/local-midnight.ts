/** The start of the kiosk's local day containing `now`: the daily per-account limit resets there. */
export function localMidnight(now: Date): Date {
  const midnight = new Date(now.getTime());
  midnight.setHours(0, 0, 0, 0);
  return midnight;
}
