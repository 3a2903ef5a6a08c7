// Deadlines of a request on the working-day calendar. The calendar (built-in PRC table plus the
// configured holidays file) is built once per application context.
import type { AppContext } from '../context.js';
import { createCalendar, readHolidaysFile, type Calendar } from './calendar.js';
import { computeDeadlines, type Deadlines } from './deadlines.js';

const calendars = new WeakMap<AppContext, Calendar>();

/** The working-day calendar of this context, built on first use. */
export function calendarOf(ctx: AppContext): Calendar {
  let calendar = calendars.get(ctx);
  if (calendar === undefined) {
    const extra = ctx.config.holidaysFile === null ? {} : readHolidaysFile(ctx.config.holidaysFile);
    calendar = createCalendar(extra);
    calendars.set(ctx, calendar);
  }
  return calendar;
}

/** The due date and hard alarm of a request under the configured regime. */
export function deadlinesOf(
  ctx: AppContext,
  input: {
    receivedAt: string;
    verifiedAt: string | null;
    extension?: { months?: number; workingDays?: number } | undefined;
  },
): Deadlines {
  return computeDeadlines(
    {
      mode: ctx.config.requestDeadlineMode,
      receivedAt: input.receivedAt,
      verifiedAt: input.verifiedAt,
      dueWorkingDays: ctx.config.requestDueWorkingDays,
      alarmDays: ctx.config.requestAlarmDays,
      extension: input.extension,
    },
    calendarOf(ctx),
  );
}
