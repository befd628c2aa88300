import { IANAZone } from 'luxon';

/**
 * One zone check everywhere (managers, contacts, calendars). `Intl.supportedValuesOf('timeZone')` lists only
 * canonical names of an older ICU vintage, so it refuses zones people use every day (Asia/Kolkata, Europe/Kyiv,
 * Etc/UTC); asking the formatter itself accepts every zone it can compute.
 */
export function isValidZone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone.length <= 64 && IANAZone.isValidZone(zone);
}
