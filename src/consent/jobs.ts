// Consent: periodic jobs run by the server.
// SCAFFOLD: the guardian flow adds the job deleting held data of minors whose guardian did not
// consent in time (CUSTOS_GUARDIAN_CONSENT_HOURS).
import type { AppContext } from '../context.js';
import type { Job } from '../jobs/scheduler.js';

export function consentJobs(_ctx: AppContext): Job[] {
  return [];
}
