// Outbound messages: periodic jobs run by the server.
import type { AppContext } from '../context.js';
import type { Job } from '../jobs/scheduler.js';
import { deliverOutbox } from './deliver.js';

/**
 * `outbox.deliver` every CUSTOS_OUTBOX_POLL_SECONDS (0: off; deliverOutbox can still be called):
 * mail over SMTP and signed webhooks alike.
 */
export function notifyJobs(ctx: AppContext): Job[] {
  if (ctx.config.outboxPollSeconds <= 0) return [];
  return [
    {
      name: 'outbox.deliver',
      everySeconds: ctx.config.outboxPollSeconds,
      run: async () => {
        const r = await deliverOutbox(ctx);
        // Counts only; a quiet poll logs nothing.
        if (r.sent + r.retried + r.failed > 0)
          ctx.log.info({ job: 'outbox.deliver', ...r }, 'outbox delivered');
      },
    },
  ];
}
