// Incident clocks: periodic jobs run by the server.
import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import type { Job } from '../../jobs/scheduler.js';

const EVERY_SECONDS = 300;

/** Counts the incident clocks past their deadline and not yet done (every controller). */
export async function overdueClockCounts(ctx: AppContext) {
  const at = ctx.clock.now().toISOString();
  const count = async (
    due: 'regulator_due_at' | 'notify_due_at' | 'report_due_at',
    done: 'regulator_reported_at' | 'notified_at' | 'post_report_at',
  ) => {
    let q = ctx.store.db
      .selectFrom('incidents')
      .select(sql<number>`count(*)`.as('n'))
      .where('status', '!=', 'closed')
      .where(due, 'is not', null)
      .where(due, '<', at)
      .where(done, 'is', null);
    if (due === 'notify_due_at')
      q = q.where((eb) =>
        eb.or([eb('notice_decision', 'is', null), eb('notice_decision', '=', 'notify')]),
      );
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  return {
    regulatorReport: await count('regulator_due_at', 'regulator_reported_at'),
    notifyPersons: await count('notify_due_at', 'notified_at'),
    postIncidentReport: await count('report_due_at', 'post_report_at'),
  };
}

/** `incident.clocks`: warns, with counts only, while any incident deadline has passed undone. */
export function incidentJobs(ctx: AppContext): Job[] {
  return [
    {
      name: 'incident.clocks',
      everySeconds: EVERY_SECONDS,
      run: async () => {
        const overdue = await overdueClockCounts(ctx);
        if (overdue.regulatorReport + overdue.notifyPersons + overdue.postIncidentReport > 0)
          ctx.log.warn({ job: 'incident.clocks', overdue }, 'incident deadlines have passed');
      },
    },
  ];
}
