// Incident grade and clocks: pure functions of the incident and the settings.
import type { Config } from '../../config.js';
import type { IncidentGrade, IncidentsTable } from './tables.js';

/**
 * The grade from the number of persons affected and whether sensitive PI is involved.
 * Defaults from research/pipl-requirements.md §9.3, partly unconfirmed:
 *   特别重大 especially_major  ≥ 100,000,000 persons (confirmed: CAC grading guide annex);
 *   重大 major                  ≥ 10,000,000, or ≥ 1,000,000 with sensitive PI;
 *   较大 relatively_major       ≥ 1,000,000, or ≥ 100,000 with sensitive PI;
 *   一般 general                below that.
 * The 重大 and 较大 thresholds follow the MIIT 2024 sector rules by analogy and are not confirmed
 * for the CAC guide; that is why staff can override the grade (with a recorded reason).
 */
export function computeGrade(personsAffected: number, sensitive: boolean): IncidentGrade {
  if (personsAffected >= 100_000_000) return 'especially_major';
  if (personsAffected >= 10_000_000 || (sensitive && personsAffected >= 1_000_000)) return 'major';
  if (personsAffected >= 1_000_000 || (sensitive && personsAffected >= 100_000))
    return 'relatively_major';
  return 'general';
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

type Settings = Pick<
  Config,
  | 'incidentRegulatorHours'
  | 'incidentRegulatorHoursCii'
  | 'incidentNotifyHours'
  | 'incidentReportDays'
>;

/**
 * When each report is due. The regulator report (2025 Incident Reporting Measures art. 4) is
 * required for 较大 and above: within 4 h to the provincial CAC, within 1 h when critical
 * information infrastructure is involved. Persons are notified (PIPL art. 57) within the internal
 * notify clock. The post-incident report is due a number of days after containment.
 */
export function dueTimes(
  settings: Settings,
  i: Pick<IncidentsTable, 'grade' | 'cii' | 'detected_at' | 'contained_at'>,
): Pick<IncidentsTable, 'regulator_due_at' | 'notify_due_at' | 'report_due_at'> {
  const regulatorHours =
    i.cii === 1 ? settings.incidentRegulatorHoursCii : settings.incidentRegulatorHours;
  return {
    regulator_due_at: i.grade === 'general' ? null : plus(i.detected_at, regulatorHours * HOUR),
    notify_due_at: plus(i.detected_at, settings.incidentNotifyHours * HOUR),
    report_due_at:
      i.contained_at === null ? null : plus(i.contained_at, settings.incidentReportDays * DAY),
  };
}

export type ClockState = 'pending' | 'met' | 'overdue' | 'not_required';

export interface IncidentClock {
  dueAt: string | null;
  doneAt: string | null;
  state: ClockState;
  /** Done, but after the deadline. */
  late: boolean;
}

function clock(
  dueAt: string | null,
  doneAt: string | null,
  required: boolean,
  now: Date,
): IncidentClock {
  const late = doneAt !== null && dueAt !== null && doneAt > dueAt;
  if (!required) return { dueAt, doneAt, state: 'not_required', late: false };
  if (doneAt !== null) return { dueAt, doneAt, state: 'met', late };
  if (dueAt !== null && now.getTime() > Date.parse(dueAt))
    return { dueAt, doneAt, state: 'overdue', late: false };
  return { dueAt, doneAt, state: 'pending', late: false };
}

/** The three clocks of an incident at `now`. */
export function clocksOf(row: IncidentsTable, now: Date) {
  return {
    regulatorReport: clock(
      row.regulator_due_at,
      row.regulator_reported_at,
      row.regulator_due_at !== null,
      now,
    ),
    notifyPersons: clock(
      row.notify_due_at,
      row.notified_at,
      row.notice_decision !== 'not_required',
      now,
    ),
    postIncidentReport: clock(row.report_due_at, row.post_report_at, true, now),
  };
}
