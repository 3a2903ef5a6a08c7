// Rights requests: periodic jobs run by the server (placeholder until the module lands).
import type { AppContext } from '../context.js';
import type { Job } from '../jobs/scheduler.js';

export function requestJobs(_ctx: AppContext): Job[] {
  return [];
}
