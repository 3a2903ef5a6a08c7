// The working-day calendar for request deadlines (placeholder until the module lands).
/** Dates are calendar days in China Standard Time, written `YYYY-MM-DD`. */
export type DayKind = 'holiday' | 'workday';

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

/** The built-in PRC table plus `extra` (from CUSTOS_HOLIDAYS_FILE), which wins on conflicts. */
export function createCalendar(_extra: Record<string, DayKind> = {}): Calendar {
  throw new Error('calendar not built yet');
}

/** Reads and validates a holidays file; throws a message naming the bad entry. */
export function readHolidaysFile(_file: string): Record<string, DayKind> {
  throw new Error('calendar not built yet');
}
