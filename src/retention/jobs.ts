// Retention: periodic jobs run by the server. The scheduler takes the job's advisory lock on
// PostgreSQL, the same lock the CLI and API sweeps take, so one sweep runs at a time.
import type { AppContext } from '../context.js';
import type { Job } from '../jobs/scheduler.js';
import { isSweeping, runRetention, SWEEP_JOB } from './sweep.js';

export function retentionJobs(ctx: AppContext): Job[] {
  return [
    {
      name: SWEEP_JOB,
      everySeconds: ctx.config.retentionSweepSeconds,
      run: async () => {
        // A sweep started through the API in this process is already doing the work.
        if (isSweeping(ctx)) return;
        const report = await runRetention(ctx, { dryRun: false, trigger: 'schedule' });
        const c = report.counts;
        ctx.log.info(
          {
            job: SWEEP_JOB,
            run: report.id,
            deleted: c.deleted,
            anonymised: c.anonymised,
            held: c.held,
            shreddedSubjects: c.shreddedSubjects,
          },
          'retention sweep finished',
        );
      },
    },
  ];
}
