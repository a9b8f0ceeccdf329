import { ValidationOptions, registerDecorator } from 'class-validator';

/**
 * Strict RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`. `T` and `Z` may be lowercase (RFC 3339
 * section 5.6). A date alone, a missing offset, a leap second or an impossible date (2025-02-30) is rejected.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const MS_PER_MINUTE = 60_000;

/**
 * Parses a strict RFC 3339 instant and returns it normalised to UTC with `Z`, keeping sub-second precision up to
 * nanoseconds (shown with 0, 3, 6 or 9 digits, as the original service's serializer does). Returns null when the
 * text is not a valid RFC 3339 instant.
 */
export function normalizeRfc3339(text: string): string | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  const fraction = m[7] ?? '';
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const utc = new Date(date.getTime() - offsetMinutes * MS_PER_MINUTE);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) return null;
  return `${utc.toISOString().slice(0, 19)}${fractionDigits(fraction)}Z`;
}

export function isRfc3339(text: string): boolean {
  return normalizeRfc3339(text) !== null;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function fractionDigits(fraction: string): string {
  const nanos = fraction.slice(0, 9).padEnd(9, '0');
  if (/^0+$/.test(nanos)) return '';
  if (nanos.endsWith('000000')) return `.${nanos.slice(0, 3)}`;
  if (nanos.endsWith('000')) return `.${nanos.slice(0, 6)}`;
  return `.${nanos}`;
}

/** A strict RFC 3339 instant with an offset (see normalizeRfc3339): WebSocket messages, silences. */
export function IsRfc3339(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isRfc3339',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be an RFC 3339 date-time with an offset`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && isRfc3339(value) },
    });
}
