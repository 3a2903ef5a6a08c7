// The PRC public holidays and adjusted working days (调休) as published by the General Office of
// the State Council each November for the following year. Data only: src/requests/calendar.ts
// applies it. Sources (checked against the published text):
//   2025: 国务院办公厅关于2025年部分节假日安排的通知, 国办发明电〔2024〕12号, 2024-11-12 — the first
//         year under the November 2024 revision of 全国年节及纪念日放假办法 (New Year's Eve of the
//         lunar calendar and 2 May became statutory days).
//   2026: 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04.
// A new year is added here (or in CUSTOS_HOLIDAYS_FILE) once its notice is out; until then the
// calendar falls back to weekends plus the fixed-date statutory days and coveredYears() lets the
// server warn.
import type { DayKind } from '../calendar.js';

export const CN_HOLIDAY_IDS = [
  'new_year',
  'spring_festival',
  'qingming',
  'labour_day',
  'dragon_boat',
  'mid_autumn',
  'national_day',
] as const;
export type CnHolidayId = (typeof CN_HOLIDAY_IDS)[number];

export const CN_HOLIDAY_NAMES: Readonly<Record<CnHolidayId, { 'zh-CN': string; en: string }>> =
  Object.freeze({
    new_year: { 'zh-CN': '元旦', en: "New Year's Day" },
    spring_festival: { 'zh-CN': '春节', en: 'Spring Festival' },
    qingming: { 'zh-CN': '清明节', en: 'Qingming Festival' },
    labour_day: { 'zh-CN': '劳动节', en: 'Labour Day' },
    dragon_boat: { 'zh-CN': '端午节', en: 'Dragon Boat Festival' },
    mid_autumn: { 'zh-CN': '中秋节', en: 'Mid-Autumn Festival' },
    national_day: { 'zh-CN': '国庆节', en: 'National Day' },
  });

/** One holiday of one year: its consecutive days off and the weekend days worked in exchange. */
export interface CnHolidayPeriod {
  year: number;
  /** Several ids when the notice merges two holidays (2025: National Day with Mid-Autumn). */
  holidays: readonly CnHolidayId[];
  off: readonly string[];
  workdays: readonly string[];
}

export const CN_HOLIDAY_PERIODS: readonly CnHolidayPeriod[] = Object.freeze([
  // 2025
  { year: 2025, holidays: ['new_year'], off: ['2025-01-01'], workdays: [] },
  {
    year: 2025,
    holidays: ['spring_festival'],
    off: [
      '2025-01-28',
      '2025-01-29',
      '2025-01-30',
      '2025-01-31',
      '2025-02-01',
      '2025-02-02',
      '2025-02-03',
      '2025-02-04',
    ],
    workdays: ['2025-01-26', '2025-02-08'],
  },
  {
    year: 2025,
    holidays: ['qingming'],
    off: ['2025-04-04', '2025-04-05', '2025-04-06'],
    workdays: [],
  },
  {
    year: 2025,
    holidays: ['labour_day'],
    off: ['2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04', '2025-05-05'],
    workdays: ['2025-04-27'],
  },
  {
    year: 2025,
    holidays: ['dragon_boat'],
    off: ['2025-05-31', '2025-06-01', '2025-06-02'],
    workdays: [],
  },
  {
    year: 2025,
    holidays: ['national_day', 'mid_autumn'],
    off: [
      '2025-10-01',
      '2025-10-02',
      '2025-10-03',
      '2025-10-04',
      '2025-10-05',
      '2025-10-06',
      '2025-10-07',
      '2025-10-08',
    ],
    workdays: ['2025-09-28', '2025-10-11'],
  },
  // 2026
  {
    year: 2026,
    holidays: ['new_year'],
    off: ['2026-01-01', '2026-01-02', '2026-01-03'],
    workdays: ['2026-01-04'],
  },
  {
    year: 2026,
    holidays: ['spring_festival'],
    off: [
      '2026-02-15',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-02-21',
      '2026-02-22',
      '2026-02-23',
    ],
    workdays: ['2026-02-14', '2026-02-28'],
  },
  {
    year: 2026,
    holidays: ['qingming'],
    off: ['2026-04-04', '2026-04-05', '2026-04-06'],
    workdays: [],
  },
  {
    year: 2026,
    holidays: ['labour_day'],
    off: ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05'],
    workdays: ['2026-05-09'],
  },
  {
    year: 2026,
    holidays: ['dragon_boat'],
    off: ['2026-06-19', '2026-06-20', '2026-06-21'],
    workdays: [],
  },
  {
    year: 2026,
    holidays: ['mid_autumn'],
    off: ['2026-09-25', '2026-09-26', '2026-09-27'],
    workdays: [],
  },
  {
    year: 2026,
    holidays: ['national_day'],
    off: [
      '2026-10-01',
      '2026-10-02',
      '2026-10-03',
      '2026-10-04',
      '2026-10-05',
      '2026-10-06',
      '2026-10-07',
    ],
    workdays: ['2026-09-20', '2026-10-10'],
  },
] satisfies CnHolidayPeriod[]);

/** The periods flattened: date → what the notice makes of it. */
export interface CnDay {
  kind: DayKind;
  holidays: readonly CnHolidayId[];
}

export const CN_DAYS: Readonly<Record<string, CnDay>> = Object.freeze(
  Object.fromEntries(
    CN_HOLIDAY_PERIODS.flatMap((p): [string, CnDay][] => [
      ...p.off.map((d): [string, CnDay] => [d, { kind: 'holiday', holidays: p.holidays }]),
      ...p.workdays.map((d): [string, CnDay] => [d, { kind: 'workday', holidays: p.holidays }]),
    ]),
  ),
);
