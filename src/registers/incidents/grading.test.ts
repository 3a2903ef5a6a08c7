// Grading thresholds and clock states, at and around each boundary.
import { describe, expect, it } from 'vitest';
import { clocksOf, computeGrade, dueTimes } from './grading.js';
import type { IncidentsTable } from './tables.js';

describe('computeGrade', () => {
  it.each([
    [99_999, false, 'general'],
    [99_999, true, 'general'],
    [100_000, true, 'relatively_major'],
    [999_999, false, 'general'],
    [1_000_000, false, 'relatively_major'],
    [1_000_000, true, 'major'],
    [9_999_999, false, 'relatively_major'],
    [10_000_000, false, 'major'],
    [99_999_999, true, 'major'],
    [100_000_000, false, 'especially_major'],
  ] as const)('%i persons, sensitive %s → %s', (persons, sensitive, grade) => {
    expect(computeGrade(persons, sensitive)).toBe(grade);
  });
});

describe('clocks', () => {
  const settings = {
    incidentRegulatorHours: 4,
    incidentRegulatorHoursCii: 1,
    incidentNotifyHours: 72,
    incidentReportDays: 30,
  };
  const detected = '2026-11-28T00:00:00.000Z';
  const row = (over: Partial<IncidentsTable>): IncidentsTable => {
    const full = {
      grade: 'major',
      cii: 0,
      detected_at: detected,
      contained_at: null,
      regulator_reported_at: null,
      notice_decision: null,
      notified_at: null,
      post_report_at: null,
      ...over,
    } as IncidentsTable;
    return { ...full, ...dueTimes(settings, full) };
  };
  const at = (h: number) => new Date(Date.parse(detected) + h * 3600_000);

  it('runs the regulator clock 4 h (1 h with CII) for 较大 and above only', () => {
    expect(clocksOf(row({}), at(3.9)).regulatorReport.state).toBe('pending');
    expect(clocksOf(row({}), at(4.1)).regulatorReport.state).toBe('overdue');
    expect(clocksOf(row({ cii: 1 }), at(1.1)).regulatorReport.state).toBe('overdue');
    expect(clocksOf(row({ grade: 'general', cii: 1 }), at(100)).regulatorReport).toMatchObject({
      state: 'not_required',
      dueAt: null,
    });
    const late = clocksOf(row({ regulator_reported_at: at(5).toISOString() }), at(6));
    expect(late.regulatorReport).toMatchObject({ state: 'met', late: true });
  });

  it('stops the notify clock on a decision not to notify, and starts the report clock at containment', () => {
    expect(clocksOf(row({}), at(73)).notifyPersons.state).toBe('overdue');
    expect(clocksOf(row({ notice_decision: 'not_required' }), at(73)).notifyPersons.state).toBe(
      'not_required',
    );
    expect(clocksOf(row({}), at(10_000)).postIncidentReport).toMatchObject({
      state: 'pending',
      dueAt: null,
    });
    const contained = row({ contained_at: at(2).toISOString() });
    expect(contained.report_due_at).toBe(new Date(at(2).getTime() + 30 * 86400_000).toISOString());
    expect(clocksOf(contained, at(2 + 30 * 24 + 1)).postIncidentReport.state).toBe('overdue');
  });
});
