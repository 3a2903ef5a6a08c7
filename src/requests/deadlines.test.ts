// Request deadlines: the pipl clock starts at verified receipt on the working-day calendar; gdpr runs
// one calendar month from receipt (clamped), with at most two months of extension; the hard alarm
// always runs in calendar days from receipt.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCalendar } from './calendar.js';
import { type DeadlineInput, addCalendarMonths, computeDeadlines } from './deadlines.js';

const cal = createCalendar();
const iso = (cstLocal: string): string => new Date(`${cstLocal}+08:00`).toISOString();
const pipl = (over: Partial<DeadlineInput>): DeadlineInput => ({
  mode: 'pipl',
  receivedAt: iso('2026-02-10T11:00:00'),
  verifiedAt: null,
  dueWorkingDays: 15,
  alarmDays: 30,
  ...over,
});
const gdpr = (over: Partial<DeadlineInput>): DeadlineInput => pipl({ mode: 'gdpr', ...over });

describe('pipl mode', () => {
  it('has no due date while verification is pending, but the alarm already runs', () => {
    expect(computeDeadlines(pipl({}), cal)).toEqual({
      dueAt: null,
      alarmAt: iso('2026-03-12T11:00:00'), // 30 calendar days after receipt
    });
  });

  it('counts 15 working days from verification, across the Spring Festival', () => {
    const out = computeDeadlines(pipl({ verifiedAt: iso('2026-02-13T10:00:00') }), cal);
    expect(out).toEqual({ dueAt: iso('2026-03-12T10:00:00'), alarmAt: iso('2026-03-12T11:00:00') });
  });

  it('starts the clock at verification, not at receipt (paused while verifying)', () => {
    const early = computeDeadlines(pipl({ verifiedAt: iso('2026-02-10T12:00:00') }), cal);
    const late = computeDeadlines(pipl({ verifiedAt: iso('2026-02-27T12:00:00') }), cal);
    // 10 Feb (Tue) + 15: 11, 12, 13, 14(Sat worked), 24, 25, 26, 27, 28(Sat worked), 2, 3, 4, 5, 6, 9 Mar.
    expect(early.dueAt).toBe(iso('2026-03-09T12:00:00'));
    // 27 Feb (Fri) + 15: 28(Sat worked), 2–6, 9–13, 16–19 Mar.
    expect(late.dueAt).toBe(iso('2026-03-19T12:00:00'));
    expect(late.alarmAt).toBe(early.alarmAt);
  });

  it('adds a working-day extension to the due date but never moves the alarm', () => {
    const base = pipl({ verifiedAt: iso('2026-02-13T10:00:00') });
    const out = computeDeadlines({ ...base, extension: { workingDays: 5 } }, cal);
    expect(out.dueAt).toBe(iso('2026-03-19T10:00:00'));
    expect(out.alarmAt).toBe(iso('2026-03-12T11:00:00'));
    expect(computeDeadlines({ ...base, extension: { workingDays: 0, months: 0 } }, cal)).toEqual(
      computeDeadlines(base, cal),
    );
  });

  it('uses the configured numbers', () => {
    const out = computeDeadlines(
      pipl({ verifiedAt: iso('2026-09-18T15:00:00'), dueWorkingDays: 10, alarmDays: 20 }),
      cal,
    );
    // 18 Sep (Fri) + 10 working days: 20(Sun worked), 21–24, 28–30 Sep, 8, 9 Oct.
    expect(out).toEqual({ dueAt: iso('2026-10-09T15:00:00'), alarmAt: iso('2026-03-02T11:00:00') });
  });

  it('refuses an extension in months', () => {
    expect(() =>
      computeDeadlines(
        pipl({ verifiedAt: iso('2026-02-13T10:00:00'), extension: { months: 1 } }),
        cal,
      ),
    ).toThrow(RangeError);
  });
});

describe('gdpr mode', () => {
  it('is due one calendar month after receipt, even before verification', () => {
    expect(computeDeadlines(gdpr({ receivedAt: iso('2026-03-03T09:30:00') }), cal)).toEqual({
      dueAt: iso('2026-04-03T09:30:00'),
      alarmAt: iso('2026-04-02T09:30:00'),
    });
    const verified = gdpr({
      receivedAt: iso('2026-03-03T09:30:00'),
      verifiedAt: iso('2026-03-20T09:30:00'),
    });
    expect(computeDeadlines(verified, cal).dueAt).toBe(iso('2026-04-03T09:30:00'));
  });

  it.each([
    ['2026-01-31T12:00:00', 0, '2026-02-28T12:00:00'],
    ['2028-01-31T12:00:00', 0, '2028-02-29T12:00:00'], // leap year
    ['2026-01-31T12:00:00', 1, '2026-03-31T12:00:00'],
    ['2026-01-31T12:00:00', 2, '2026-04-30T12:00:00'],
    ['2026-03-31T08:00:00', 0, '2026-04-30T08:00:00'],
    ['2026-12-31T08:00:00', 0, '2027-01-31T08:00:00'],
    ['2026-12-31T08:00:00', 2, '2027-03-31T08:00:00'],
    ['2026-11-30T08:00:00', 2, '2027-02-28T08:00:00'],
    ['2026-02-28T08:00:00', 0, '2026-03-28T08:00:00'],
  ])('received %s with %i extension months is due %s', (received, months, due) => {
    const out = computeDeadlines(gdpr({ receivedAt: iso(received), extension: { months } }), cal);
    expect(out.dueAt).toBe(iso(due));
  });

  it('clamps on the China Standard Time date, not the UTC date', () => {
    // 00:30 on 31 January in Beijing is 30 January in UTC; the month ends on 28 February in Beijing.
    const out = computeDeadlines(gdpr({ receivedAt: '2026-01-30T16:30:00.000Z' }), cal);
    expect(out.dueAt).toBe('2026-02-27T16:30:00.000Z');
    expect(out.dueAt).toBe(iso('2026-02-28T00:30:00'));
  });

  it.each([3, 12, -1, 0.5])('refuses an extension of %d months', (months) => {
    expect(() => computeDeadlines(gdpr({ extension: { months } }), cal)).toThrow(RangeError);
  });

  it('refuses an extension in working days', () => {
    expect(() => computeDeadlines(gdpr({ extension: { workingDays: 5 } }), cal)).toThrow(
      RangeError,
    );
  });

  it('is always 28–31 days after receipt, same time of day', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2020-01-01Z'),
          max: new Date('2035-01-01Z'),
          noInvalidDate: true,
        }),
        (received) => {
          const due = addCalendarMonths(received, 1);
          const days = (due.getTime() - received.getTime()) / 86_400_000;
          expect(Number.isInteger(days)).toBe(true);
          expect(days).toBeGreaterThanOrEqual(28);
          expect(days).toBeLessThanOrEqual(31);
        },
      ),
      { seed: 1231, numRuns: 500 },
    );
  });
});

describe('bad input', () => {
  it.each([
    ['a receivedAt that is no instant', pipl({ receivedAt: 'yesterday' })],
    ['a receivedAt that is only a date', pipl({ receivedAt: '2026-02-10' })],
    ['a verifiedAt that is no instant', pipl({ verifiedAt: '2026-02-30T00:00:00Z' })],
    ['negative working days', pipl({ verifiedAt: iso('2026-02-13T10:00:00'), dueWorkingDays: -1 })],
    ['fractional alarm days', pipl({ alarmDays: 1.5 })],
    [
      'a negative extension',
      pipl({ verifiedAt: iso('2026-02-13T10:00:00'), extension: { workingDays: -2 } }),
    ],
  ])('refuses %s', (_what, input) => {
    expect(() => computeDeadlines(input, cal)).toThrow(RangeError);
  });
});
