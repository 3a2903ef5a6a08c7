// The working-day calendar: the PRC table as published, working days across the long holidays and
// their adjusted weekends, China Standard Time day boundaries, the fallback for years without a
// table, and holidays files (fast-check with a fixed seed for the properties).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { chinaDate, createCalendar, isRealDate, readHolidaysFile } from './calendar.js';
import { CN_DAYS, CN_HOLIDAY_NAMES, CN_HOLIDAY_PERIODS } from './holidays/cn.js';

const DAY = 86_400_000;
const SEED = { seed: 20261001, numRuns: 300 };
/** An instant given in China Standard Time. */
const cst = (local: string): Date => new Date(`${local}+08:00`);
const weekday = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay();
const cal = createCalendar();

describe('the built-in PRC table', () => {
  it('has real dates only, each in the year of its notice and in one period', () => {
    const seen = new Set<string>();
    for (const p of CN_HOLIDAY_PERIODS) {
      for (const d of [...p.off, ...p.workdays]) {
        expect(isRealDate(d), d).toBe(true);
        expect(Number(d.slice(0, 4)), d).toBe(p.year);
        expect(seen.has(d), d).toBe(false);
        seen.add(d);
      }
    }
    expect(Object.keys(CN_DAYS).sort()).toEqual([...seen].sort());
  });

  it('gives each holiday consecutive days off and adjusted working days only on weekends', () => {
    for (const p of CN_HOLIDAY_PERIODS) {
      const days = p.off.map((d) => Date.parse(`${d}T00:00:00Z`));
      days.forEach((t, i) => {
        if (i > 0) expect(t - (days[i - 1] ?? 0), p.off[i]).toBe(DAY);
      });
      for (const w of p.workdays) expect([0, 6], w).toContain(weekday(w));
      for (const id of p.holidays) expect(CN_HOLIDAY_NAMES[id]['zh-CN']).not.toBe('');
    }
  });

  it('matches the 2026 and 2025 notices: lengths and adjusted working days', () => {
    const summary = (year: number) =>
      CN_HOLIDAY_PERIODS.filter((p) => p.year === year).map((p) => [
        p.holidays.join('+'),
        p.off[0],
        p.off.length,
        [...p.workdays],
      ]);
    expect(summary(2026)).toEqual([
      ['new_year', '2026-01-01', 3, ['2026-01-04']],
      ['spring_festival', '2026-02-15', 9, ['2026-02-14', '2026-02-28']],
      ['qingming', '2026-04-04', 3, []],
      ['labour_day', '2026-05-01', 5, ['2026-05-09']],
      ['dragon_boat', '2026-06-19', 3, []],
      ['mid_autumn', '2026-09-25', 3, []],
      ['national_day', '2026-10-01', 7, ['2026-09-20', '2026-10-10']],
    ]);
    expect(summary(2025)).toEqual([
      ['new_year', '2025-01-01', 1, []],
      ['spring_festival', '2025-01-28', 8, ['2025-01-26', '2025-02-08']],
      ['qingming', '2025-04-04', 3, []],
      ['labour_day', '2025-05-01', 5, ['2025-04-27']],
      ['dragon_boat', '2025-05-31', 3, []],
      ['national_day+mid_autumn', '2025-10-01', 8, ['2025-09-28', '2025-10-11']],
    ]);
    expect(cal.coveredYears()).toEqual([2025, 2026]);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(CN_DAYS)).toBe(true);
    expect(Object.isFrozen(CN_HOLIDAY_PERIODS)).toBe(true);
  });
});

describe('isWorkingDay', () => {
  it.each([
    ['2026-03-10', true, 'an ordinary Tuesday'],
    ['2026-03-14', false, 'an ordinary Saturday'],
    ['2026-03-15', false, 'an ordinary Sunday'],
    ['2026-01-02', false, 'New Year (Friday)'],
    ['2026-01-04', true, 'Sunday worked for New Year'],
    ['2026-02-14', true, 'Saturday worked for the Spring Festival'],
    ['2026-02-16', false, 'Spring Festival (Monday)'],
    ['2026-02-23', false, 'last day of the Spring Festival (Monday)'],
    ['2026-02-24', true, 'first working day after the Spring Festival'],
    ['2026-02-28', true, 'second Saturday worked for the Spring Festival'],
    ['2026-04-06', false, 'Qingming (Monday)'],
    ['2026-05-05', false, 'Labour Day (Tuesday)'],
    ['2026-05-09', true, 'Saturday worked for Labour Day'],
    ['2026-06-19', false, 'Dragon Boat (Friday)'],
    ['2026-09-20', true, 'Sunday worked for National Day'],
    ['2026-09-25', false, 'Mid-Autumn (Friday)'],
    ['2026-10-07', false, 'National Day (Wednesday)'],
    ['2026-10-08', true, 'Thursday after National Day'],
    ['2026-10-10', true, 'Saturday worked for National Day'],
    ['2025-01-26', true, 'Sunday worked for the 2025 Spring Festival'],
    ['2025-10-08', false, 'merged National Day and Mid-Autumn 2025 (Wednesday)'],
    ['2025-10-11', true, 'Saturday worked for National Day 2025'],
  ])('%s is %s (%s)', (date, expected) => {
    expect(cal.isWorkingDay(date)).toBe(expected);
  });

  it('falls back to weekends and the fixed statutory days in a year without a table', () => {
    expect(cal.isWorkingDay('2027-01-01')).toBe(false); // Friday, 1 January
    expect(cal.isWorkingDay('2030-05-01')).toBe(false); // Wednesday
    expect(cal.isWorkingDay('2030-05-02')).toBe(false); // Thursday: statutory since 2025
    expect(cal.isWorkingDay('2024-05-02')).toBe(true); // Thursday: not statutory before 2025
    expect(cal.isWorkingDay('2029-10-03')).toBe(false); // Wednesday
    expect(cal.isWorkingDay('2029-10-04')).toBe(true); // Thursday: only adjusted days move it
    expect(cal.isWorkingDay('2027-03-01')).toBe(true); // Monday
    expect(cal.isWorkingDay('2027-03-06')).toBe(false); // Saturday
  });

  it.each(['2026-02-30', '2026-2-3', '2026-13-01', '0001-01-01x', '', 'tomorrow', '2025-02-29'])(
    'refuses %j as a date',
    (bad) => {
      expect(() => cal.isWorkingDay(bad)).toThrow(RangeError);
    },
  );
});

describe('addWorkingDays and workingDaysBetween', () => {
  it('counts 15 working days across the 2026 Spring Festival and its two worked Saturdays', () => {
    const from = cst('2026-02-13T10:00:00'); // Friday
    expect(cal.addWorkingDays(from, 1)).toEqual(cst('2026-02-14T10:00:00')); // worked Saturday
    expect(cal.addWorkingDays(from, 2)).toEqual(cst('2026-02-24T10:00:00'));
    expect(cal.addWorkingDays(from, 6)).toEqual(cst('2026-02-28T10:00:00')); // worked Saturday
    expect(cal.addWorkingDays(from, 7)).toEqual(cst('2026-03-02T10:00:00'));
    expect(cal.addWorkingDays(from, 15)).toEqual(cst('2026-03-12T10:00:00'));
    expect(cal.workingDaysBetween(from, cst('2026-03-12T10:00:00'))).toBe(15);
  });

  it('counts 15 working days across Mid-Autumn and National Day 2026', () => {
    const from = cst('2026-09-18T15:45:12.345'); // Friday
    expect(cal.addWorkingDays(from, 1)).toEqual(cst('2026-09-20T15:45:12.345')); // worked Sunday
    expect(cal.addWorkingDays(from, 6)).toEqual(cst('2026-09-28T15:45:12.345'));
    expect(cal.addWorkingDays(from, 9)).toEqual(cst('2026-10-08T15:45:12.345'));
    expect(cal.addWorkingDays(from, 11)).toEqual(cst('2026-10-10T15:45:12.345')); // worked Saturday
    expect(cal.addWorkingDays(from, 15)).toEqual(cst('2026-10-15T15:45:12.345'));
    expect(cal.workingDaysBetween(cst('2026-09-30T09:00:00'), cst('2026-10-08T09:00:00'))).toBe(1);
  });

  it('crosses from the 2025 table into the 2026 table', () => {
    const from = cst('2025-12-31T09:00:00'); // Wednesday
    expect(cal.addWorkingDays(from, 1)).toEqual(cst('2026-01-04T09:00:00')); // worked Sunday
    expect(cal.addWorkingDays(from, 2)).toEqual(cst('2026-01-05T09:00:00'));
    expect(cal.addWorkingDays(cst('2025-01-24T09:00:00'), 3)).toEqual(cst('2025-02-05T09:00:00'));
  });

  it('uses the China Standard Time day, not the UTC day', () => {
    // 00:30 on Saturday 14 February in Beijing is still Friday 13 February in UTC.
    const from = new Date('2026-02-13T16:30:00.000Z');
    expect(chinaDate(from)).toBe('2026-02-14');
    expect(cal.addWorkingDays(from, 1)).toEqual(new Date('2026-02-23T16:30:00.000Z'));
    expect(chinaDate(cal.addWorkingDays(from, 1))).toBe('2026-02-24');
    // 23:59 Beijing on a Friday: the next working day is Monday, same clock time.
    expect(cal.addWorkingDays(cst('2026-03-13T23:59:59.999'), 1)).toEqual(
      cst('2026-03-16T23:59:59.999'),
    );
  });

  it('returns the same instant for zero days and counts zero within one day', () => {
    const from = cst('2026-02-15T08:00:00'); // a holiday
    expect(cal.addWorkingDays(from, 0)).toEqual(from);
    expect(cal.workingDaysBetween(from, cst('2026-02-15T23:00:00'))).toBe(0);
    expect(cal.workingDaysBetween(cst('2026-03-16T08:00:00'), cst('2026-03-13T08:00:00'))).toBe(-1);
  });

  it.each([-1, 1.5, Number.NaN, Infinity, 10_001])('refuses %d working days', (n) => {
    expect(() => cal.addWorkingDays(cst('2026-03-10T08:00:00'), n)).toThrow(RangeError);
  });

  it('refuses an invalid instant', () => {
    expect(() => cal.addWorkingDays(new Date('nope'), 1)).toThrow(RangeError);
    expect(() => cal.workingDaysBetween(new Date('nope'), new Date())).toThrow(RangeError);
  });

  const instants = fc
    .date({
      min: new Date('2024-06-01T00:00:00Z'),
      max: new Date('2027-06-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => new Date(d.getTime()));

  it('are inverse: between(from, add(from, n)) = n, time of day kept, landing on a working day', () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 0, max: 80 }), (from, n) => {
        const to = cal.addWorkingDays(from, n);
        expect(cal.workingDaysBetween(from, to)).toBe(n);
        expect((to.getTime() - from.getTime()) % DAY).toBe(0);
        if (n > 0) expect(cal.isWorkingDay(chinaDate(to))).toBe(true);
        expect(cal.addWorkingDays(from, n + 1).getTime()).toBeGreaterThan(to.getTime());
      }),
      SEED,
    );
  });

  it('are inverse the other way: add(from, between(from, to)) = to for a later working day', () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 0, max: 120 }), (from, days) => {
        const to = new Date(from.getTime() + days * DAY);
        fc.pre(cal.isWorkingDay(chinaDate(to)) && days > 0);
        expect(cal.addWorkingDays(from, cal.workingDaysBetween(from, to))).toEqual(to);
      }),
      SEED,
    );
  });

  it('is antisymmetric and additive', () => {
    fc.assert(
      fc.property(instants, instants, instants, (a, b, c) => {
        expect(cal.workingDaysBetween(a, b)).toBe(-cal.workingDaysBetween(b, a) || 0);
        expect(cal.workingDaysBetween(a, c)).toBe(
          cal.workingDaysBetween(a, b) + cal.workingDaysBetween(b, c),
        );
      }),
      { ...SEED, numRuns: 60 },
    );
  });
});

describe('extra tables and holidays files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-holidays-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('overrides the built-in table and adds years', () => {
    const path = file(
      'ok.json',
      JSON.stringify({
        '2026-10-08': 'holiday', // a Thursday the table says is worked
        '2026-02-16': 'workday', // a Spring Festival day
        '2027-02-06': 'workday', // a Saturday in a new year
        '2027-02-10': 'holiday',
      }),
    );
    const extra = readHolidaysFile(path);
    expect(extra).toEqual({
      '2026-10-08': 'holiday',
      '2026-02-16': 'workday',
      '2027-02-06': 'workday',
      '2027-02-10': 'holiday',
    });
    const custom = createCalendar(extra);
    expect(custom.isWorkingDay('2026-10-08')).toBe(false);
    expect(custom.isWorkingDay('2026-02-16')).toBe(true);
    expect(custom.isWorkingDay('2027-02-06')).toBe(true);
    expect(custom.isWorkingDay('2027-02-10')).toBe(false);
    expect(custom.coveredYears()).toEqual([2025, 2026, 2027]);
    // From Friday 5 Feb 2027: worked Saturday, Mon 8, Tue 9, (holiday Wed 10), Thu 11.
    expect(custom.addWorkingDays(cst('2027-02-05T09:00:00'), 4)).toEqual(
      cst('2027-02-11T09:00:00'),
    );
    // The built-in calendar is untouched by another calendar's extras.
    expect(cal.isWorkingDay('2026-10-08')).toBe(true);
    expect(cal.coveredYears()).toEqual([2025, 2026]);
  });

  it('reads no file as no extra entries', () => {
    expect(readHolidaysFile(null)).toEqual({});
    expect(readHolidaysFile(file('empty.json', '{}'))).toEqual({});
  });

  it.each([
    [
      'a date that does not exist',
      '{"2027-01-01": "holiday", "2027-02-30": "holiday"}',
      '"2027-02-30"',
    ],
    ['a date not in YYYY-MM-DD', '{"2027-1-5": "holiday"}', '"2027-1-5"'],
    ['an unknown kind', '{"2027-01-01": "holiday", "2027-10-09": "off"}', '"2027-10-09"'],
    ['a kind that is not a string', '{"2027-10-09": true}', '"2027-10-09"'],
    ['an array', '["2027-01-01"]', 'expected an object'],
    ['not JSON', '{"2027-01-01": holiday}', 'not valid JSON'],
  ])('rejects %s, naming the entry', (_what, text, named) => {
    const path = file(`bad-${Math.random().toString(36).slice(2)}.json`, text);
    expect(() => readHolidaysFile(path)).toThrow(named);
    expect(() => readHolidaysFile(path)).toThrow(path);
  });

  it('rejects a missing file by name', () => {
    const path = join(dir, 'missing.json');
    expect(() => readHolidaysFile(path)).toThrow(`holidays file ${path}: cannot be read (ENOENT)`);
  });

  it('rejects a bad extra table passed directly', () => {
    const bad = { '2027-04-31': 'holiday' } as Record<string, 'holiday'>;
    expect(() => createCalendar(bad)).toThrow('"2027-04-31"');
  });
});
