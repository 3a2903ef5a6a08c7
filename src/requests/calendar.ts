// The working-day calendar for request deadlines. Request deadlines in China are counted in working
// days (App认定方法 §6 / GB/T 35273-2020 §8.5: 15 working days; research §1.10), and a working day is
// what the State Council's yearly notice makes it: Monday–Friday, minus public holidays, plus the
// weekend days worked in exchange (调休). Days are calendar days in China Standard Time (UTC+8, no
// daylight saving), so a day is always exactly 24 hours and the time of day carries over unchanged.
import { readFileSync } from 'node:fs';
import { CN_DAYS } from './holidays/cn.js';

/** Dates are calendar days in China Standard Time, written `YYYY-MM-DD`. */
export type DayKind = 'holiday' | 'workday';

export const DAY_KINDS: readonly DayKind[] = ['holiday', 'workday'];

export interface Calendar {
  /** A working day: Monday–Friday unless a public holiday, or an adjusted working weekend day. */
  isWorkingDay(date: string): boolean;
  /** The instant `n` working days after `from` (same time of day, China Standard Time). */
  addWorkingDays(from: Date, n: number): Date;
  /** Working days strictly after `from`'s day up to and including `to`'s day. */
  workingDaysBetween(from: Date, to: Date): number;
  /** The years the built-in and configured tables cover. */
  coveredYears(): number[];
}

const DAY_MS = 86_400_000;
const CST_OFFSET_MS = 8 * 3_600_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** About forty years: far beyond any deadline, and it keeps a misconfigured count from spinning. */
export const MAX_WORKING_DAYS = 10_000;

/** Days since 1970-01-01 for a real `YYYY-MM-DD` date, or null (rejects 2026-02-30, 2026-2-3 …). */
function parseDay(date: string): number | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const at = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 02-30 over to 03-02 and maps years 0–99 to 1900+; a round trip catches both.
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) {
    return null;
  }
  return at.getTime() / DAY_MS;
}

function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The China Standard Time day number of an instant. */
function dayOf(instant: Date): number {
  const t = instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError('calendar: invalid date');
  return Math.floor((t + CST_OFFSET_MS) / DAY_MS);
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isRealDate(date: string): boolean {
  return parseDay(date) !== null;
}

/** The calendar day in China Standard Time on which `instant` falls, as `YYYY-MM-DD`. */
export function chinaDate(instant: Date): string {
  return dayString(dayOf(instant));
}

/**
 * The fixed-date statutory holidays of 全国年节及纪念日放假办法 (arts. 2): 1 January, 1 May and
 * 1–3 October, and since the 2024 revision (in force 2025-01-01) also 2 May. The lunar-calendar
 * holidays (Spring Festival, Dragon Boat, Mid-Autumn) and Qingming move every year, so a year without
 * a published table gets only these — coveredYears() exists so the server can warn about that.
 */
function isFixedStatutoryHoliday(day: number): boolean {
  const at = new Date(day * DAY_MS);
  const month = at.getUTCMonth() + 1;
  const date = at.getUTCDate();
  if (month === 1) return date === 1;
  if (month === 5) return date === 1 || (date === 2 && at.getUTCFullYear() >= 2025);
  if (month === 10) return date >= 1 && date <= 3;
  return false;
}

/** Checks a holiday table entry by entry; the Error names the first bad entry and `source`. */
export function validateHolidayTable(value: unknown, source: string): Record<string, DayKind> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${source}: expected an object of "YYYY-MM-DD": "holiday" | "workday"`);
  }
  const table: Record<string, DayKind> = {};
  for (const [date, kind] of Object.entries(value as Record<string, unknown>)) {
    if (!isRealDate(date)) {
      throw new Error(
        `${source}: entry ${JSON.stringify(date.slice(0, 40))} is not a real date (YYYY-MM-DD)`,
      );
    }
    if (kind !== 'holiday' && kind !== 'workday') {
      const shown = (typeof kind === 'string' ? JSON.stringify(kind) : typeof kind).slice(0, 40);
      throw new Error(
        `${source}: entry "${date}" has kind ${shown}; expected "holiday" or "workday"`,
      );
    }
    table[date] = kind;
  }
  return table;
}

/** The built-in PRC table plus `extra` (from CUSTOS_HOLIDAYS_FILE), which wins on conflicts. */
export function createCalendar(extra: Record<string, DayKind> = {}): Calendar {
  const table = new Map<number, DayKind>();
  const merged: Record<string, DayKind> = {
    ...Object.fromEntries(
      Object.entries(CN_DAYS).map(([date, entry]): [string, DayKind] => [date, entry.kind]),
    ),
    ...validateHolidayTable(extra, 'holidays'),
  };
  for (const [date, kind] of Object.entries(merged)) {
    const day = parseDay(date);
    if (day === null) throw new Error(`holidays: entry "${date}" is not a real date`);
    table.set(day, kind);
  }
  const years = [...new Set([...table.keys()].map((d) => new Date(d * DAY_MS).getUTCFullYear()))];
  years.sort((a, b) => a - b);

  const working = (day: number): boolean => {
    const kind = table.get(day);
    if (kind !== undefined) return kind === 'workday';
    if (isFixedStatutoryHoliday(day)) return false;
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    return weekday >= 1 && weekday <= 5;
  };

  /** Working days in the day range (a, b], a <= b. */
  const countWorking = (a: number, b: number): number => {
    let n = 0;
    for (let d = a + 1; d <= b; d++) if (working(d)) n++;
    return n;
  };

  return {
    isWorkingDay(date) {
      const day = parseDay(date);
      if (day === null) throw new RangeError(`calendar: not a date: ${JSON.stringify(date)}`);
      return working(day);
    },
    addWorkingDays(from, n) {
      if (!Number.isSafeInteger(n) || n < 0 || n > MAX_WORKING_DAYS) {
        throw new RangeError(`calendar: working days must be an integer 0–${MAX_WORKING_DAYS}`);
      }
      const start = dayOf(from);
      let day = start;
      for (let counted = 0; counted < n;) {
        day++;
        if (working(day)) counted++;
      }
      return new Date(from.getTime() + (day - start) * DAY_MS);
    },
    workingDaysBetween(from, to) {
      const a = dayOf(from);
      const b = dayOf(to);
      // Negative when `to` comes first, so "working days overdue" reads naturally.
      return b >= a ? countWorking(a, b) : -countWorking(b, a);
    },
    coveredYears() {
      return [...years];
    },
  };
}

/**
 * Reads and validates a holidays file; throws a message naming the bad entry. The file is a JSON
 * object `{"YYYY-MM-DD": "holiday" | "workday"}`. No file configured (null) means no extra entries.
 */
export function readHolidaysFile(file: string | null): Record<string, DayKind> {
  if (file === null) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'unreadable';
    throw new Error(`holidays file ${file}: cannot be read (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`holidays file ${file}: not valid JSON`);
  }
  return validateHolidayTable(parsed, `holidays file ${file}`);
}
