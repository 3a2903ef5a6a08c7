// Rights requests: periodic jobs run by the server. Each step is idempotent: expiry goes through
// the state machine (an expired request is not expired twice) and every mail has a dedupe key, so
// a reminder or an escalation is sent once however often the job runs.
import type { AppContext } from '../context.js';
import { transaction } from '../db/store.js';
import type { Row } from '../db/types.js';
import type { Job } from '../jobs/scheduler.js';
import { openUserSecrets, rolesOf } from '../access/users.js';
import { permissionsOf } from '../access/permissions.js';
import { enqueueMail } from '../notify/outbox.js';
import { SYSTEM, transition } from './events.js';
import { referenceOf } from './notices.js';
import { purgeExpiredFiles } from './fulfil/files.js';
import { calendarOf } from './schedule.js';

const EVERY_SECONDS = 300;
const BATCH = 200;
/** Working days before the due date at which the assigned handler is reminded. */
export const REMINDER_WORKING_DAYS = 2;
/** Staff mail goes out in Chinese, the working language of the privacy office. */
const STAFF_LANG = 'zh-CN' as const;

/** Expires requests whose identity was not verified in time (CUSTOS_REQUEST_VERIFY_EXPIRY_HOURS). */
export async function expireUnverified(ctx: AppContext): Promise<number> {
  const cutoff = new Date(
    ctx.clock.now().getTime() - ctx.config.requestVerifyExpiryHours * 3600_000,
  ).toISOString();
  const ids = await ctx.store.db
    .selectFrom('requests')
    .select('id')
    .where('status', 'in', ['received', 'verifying'])
    .where('verified_at', 'is', null)
    .where('received_at', '<', cutoff)
    .orderBy('received_at')
    .limit(BATCH)
    .execute();
  let expired = 0;
  for (const { id } of ids) {
    const done = await transaction(ctx.store, async (trx) => {
      const row = await trx
        .selectFrom('requests')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      // Re-checked inside the transaction: the person may have verified in the meantime.
      if (row === undefined || row.verified_at !== null) return false;
      if (row.status !== 'received' && row.status !== 'verifying') return false;
      await transition(ctx, trx, row, 'expire', SYSTEM, {
        audit: 'request.expire',
        details: { afterHours: ctx.config.requestVerifyExpiryHours },
      });
      // Nothing was verified, so the contact and the person's words are not kept: shredding the
      // request's key makes them unreadable everywhere, backups included.
      await ctx.keyring.destroyDataKey(trx, 'request', id);
      await trx
        .updateTable('requests')
        .set({ contact_enc: null, details_enc: null })
        .where('id', '=', id)
        .execute();
      return true;
    });
    if (done) expired++;
  }
  return expired;
}

/** Active staff with `permission`, whose scope covers `controllerId`, with their e-mail opened. */
async function staffFor(
  ctx: AppContext,
  controllerId: string,
  filter: (user: Row<'users'>) => boolean,
): Promise<Array<{ id: string; email: string }>> {
  const users = await ctx.store.db
    .selectFrom('users')
    .selectAll()
    .where('status', '=', 'active')
    .execute();
  const out: Array<{ id: string; email: string }> = [];
  for (const user of users) {
    if (!filter(user)) continue;
    if (user.all_controllers !== 1) {
      const scoped = await ctx.store.db
        .selectFrom('user_controllers')
        .select('controller_id')
        .where('user_id', '=', user.id)
        .where('controller_id', '=', controllerId)
        .executeTakeFirst();
      if (scoped === undefined) continue;
    }
    const { email } = await openUserSecrets(ctx, ctx.store.db, user);
    out.push({ id: user.id, email });
  }
  return out;
}

/**
 * Reminds the assigned handler REMINDER_WORKING_DAYS working days before the due date, and
 * escalates to the privacy officers (requests.approve) once a request is overdue or past its hard
 * alarm. Returns the messages newly queued.
 */
export async function remindAndEscalate(
  ctx: AppContext,
): Promise<{ reminders: number; escalations: number }> {
  const now = ctx.clock.now();
  const at = now.toISOString();
  const calendar = calendarOf(ctx);
  const open = await ctx.store.db
    .selectFrom('requests')
    .selectAll()
    .where('status', 'in', ['open', 'in_progress'])
    .orderBy('due_at')
    .limit(5000)
    .execute();
  let reminders = 0;
  let escalations = 0;
  for (const row of open) {
    const overdueBy =
      row.due_at !== null && row.due_at < at
        ? 'due'
        : row.alarm_at !== null && row.alarm_at < at
          ? 'alarm'
          : null;
    if (overdueBy !== null) {
      const officers = await staffFor(ctx, row.controller_id, (u) =>
        permissionsOf(rolesOf(u)).has('requests.approve'),
      );
      await transaction(ctx.store, async (trx) => {
        for (const officer of officers) {
          const r = await enqueueMail(ctx, trx, {
            to: officer.email,
            template: 'request_overdue',
            lang: STAFF_LANG,
            params: {
              reference: referenceOf(row.id),
              dueAt: row.due_at ?? row.alarm_at ?? at,
              alarmAt: row.alarm_at ?? row.due_at ?? at,
            },
            dedupeKey: `request:${row.id}:overdue:${overdueBy}:${row.due_at ?? ''}:${officer.id}`,
          });
          if (r.queued) escalations++;
        }
      });
      continue;
    }
    if (row.assigned_to === null || row.due_at === null) continue;
    if (calendar.workingDaysBetween(now, new Date(row.due_at)) > REMINDER_WORKING_DAYS) continue;
    const handler = await staffFor(ctx, row.controller_id, (u) => u.id === row.assigned_to);
    await transaction(ctx.store, async (trx) => {
      for (const h of handler) {
        const r = await enqueueMail(ctx, trx, {
          to: h.email,
          template: 'request_reminder',
          lang: STAFF_LANG,
          params: { reference: referenceOf(row.id), dueAt: row.due_at ?? at, state: row.status },
          dedupeKey: `request:${row.id}:reminder:${row.due_at ?? ''}:${h.id}`,
        });
        if (r.queued) reminders++;
      }
    });
  }
  return { reminders, escalations };
}

/** `requests.clocks`: expiry of unverified requests, reminders and escalations. */
export function requestJobs(ctx: AppContext): Job[] {
  return [
    {
      name: 'requests.clocks',
      everySeconds: EVERY_SECONDS,
      run: async () => {
        const expired = await expireUnverified(ctx);
        const { reminders, escalations } = await remindAndEscalate(ctx);
        // Answer packages whose download link has expired are dropped, not kept until asked for.
        const purged = await transaction(ctx.store, (trx) => purgeExpiredFiles(ctx, trx));
        // Counts only; a quiet run logs nothing.
        if (expired + reminders + escalations + purged > 0)
          ctx.log.info(
            { job: 'requests.clocks', expired, reminders, escalations, purged },
            'request clocks',
          );
      },
    },
  ];
}
