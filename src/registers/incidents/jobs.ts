// Incident clocks: periodic jobs run by the server.
import type { AppContext } from '../../context.js';
import type { Job } from '../../jobs/scheduler.js';

export function incidentJobs(_ctx: AppContext): Job[] {
  return [];
}
