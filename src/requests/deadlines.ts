// Request deadlines (placeholder until the module lands).
import type { Calendar } from './calendar.js';

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

export function computeDeadlines(_input: DeadlineInput, _calendar: Calendar): Deadlines {
  throw new Error('deadlines not built yet');
}
