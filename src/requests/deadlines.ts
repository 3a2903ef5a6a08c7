// Request deadlines. Two regimes (research/pipl-requirements.md §1.10), chosen by
// CUSTOS_REQUEST_DEADLINE_MODE:
//  - pipl: PIPL art. 50 only says "timely"; the numbers engineered to are GB/T 35273-2020 §8.7 (reply
//    after identity verification) and App认定方法 §6 / GB/T 35273-2020 §8.5 (at most 15 working days).
//    So the due date counts working days from VERIFIED receipt — the clock is paused while the
//    verification is pending — plus any notified extension in working days.
//  - gdpr: GDPR art. 12(3): one month from receipt, extendable by at most two further months. The
//    clock is not paused by identity checks, so the due date exists from receipt.
// Both: the hard alarm runs in calendar days from receipt (§1.10 "hard alarm at 30 calendar days"),
// independent of verification and extensions, so a stuck verification still raises it.
import { type Calendar, isRealDate } from './calendar.js';

export interface DeadlineInput {
  mode: 'pipl' | 'gdpr';
  receivedAt: string;
  /** The clock starts (pipl) at verified receipt; null while verification is pending. */
  verifiedAt: string | null;
  dueWorkingDays: number;
  alarmDays: number;
  /** A notified extension: months added (gdpr: up to 2) or working days added (pipl). */
  extension?: { months?: number; workingDays?: number } | undefined;
}

export interface Deadlines {
  /** When the answer is due; null while the clock is paused for verification. */
  dueAt: string | null;
  /** The hard alarm (calendar days from receipt). */
  alarmAt: string;
}

/** GDPR art. 12(3): "by two further months". */
export const MAX_EXTENSION_MONTHS = 2;

const DAY_MS = 86_400_000;
const CST_OFFSET_MS = 8 * 3_600_000;

function instant(value: string, field: string): Date {
  const at = new Date(value);
  // V8 rolls 2026-02-30T… over to 2 March; the date part must itself be a real date.
  const realDate = /^\d{4}-\d{2}-\d{2}T/.test(value) && isRealDate(value.slice(0, 10));
  if (!realDate || !Number.isFinite(at.getTime())) {
    throw new RangeError(`deadlines: ${field} is not an ISO-8601 instant`);
  }
  return at;
}

function count(value: number | undefined, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = value ?? 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new RangeError(`deadlines: ${field} must be an integer 0–${max}`);
  }
  return n;
}

/**
 * `months` calendar months after `from`, on the same day of the month and time of day in China
 * Standard Time; when that day does not exist the period ends on the month's last day (31 Jan + 1
 * month = 28/29 Feb), the reading of "one month" in Regulation (EEC, Euratom) 1182/71 art. 3(2)(c)
 * that the EDPB access guidelines apply to art. 12(3).
 */
export function addCalendarMonths(from: Date, months: number): Date {
  const local = new Date(from.getTime() + CST_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(local.getUTCDate(), lastDay);
  const msOfDay = local.getTime() - Date.UTC(y, local.getUTCMonth(), local.getUTCDate());
  return new Date(Date.UTC(y, m, day) + msOfDay - CST_OFFSET_MS);
}

/** When a request is due and when its hard alarm fires, under the configured regime. */
export function computeDeadlines(input: DeadlineInput, calendar: Calendar): Deadlines {
  const received = instant(input.receivedAt, 'receivedAt');
  const verified = input.verifiedAt === null ? null : instant(input.verifiedAt, 'verifiedAt');
  const dueWorkingDays = count(input.dueWorkingDays, 'dueWorkingDays');
  const alarmDays = count(input.alarmDays, 'alarmDays', 3650);
  const months = count(input.extension?.months, 'extension.months');
  const workingDays = count(input.extension?.workingDays, 'extension.workingDays');
  const alarmAt = new Date(received.getTime() + alarmDays * DAY_MS).toISOString();

  switch (input.mode) {
    case 'pipl': {
      // An extension in the other regime's unit would silently be lost: refuse it instead.
      if (months !== 0) throw new RangeError('deadlines: pipl extensions are in working days');
      const dueAt =
        verified === null
          ? null
          : calendar.addWorkingDays(verified, dueWorkingDays + workingDays).toISOString();
      return { dueAt, alarmAt };
    }
    case 'gdpr': {
      if (workingDays !== 0) throw new RangeError('deadlines: gdpr extensions are in months');
      if (months > MAX_EXTENSION_MONTHS) {
        throw new RangeError(
          `deadlines: a gdpr extension is at most ${MAX_EXTENSION_MONTHS} further months`,
        );
      }
      return { dueAt: addCalendarMonths(received, 1 + months).toISOString(), alarmAt };
    }
    default:
      return input.mode satisfies never;
  }
}
