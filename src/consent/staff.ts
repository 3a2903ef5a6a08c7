// The ledger for staff: a paged list of records within the caller's controller scope, one
// person's current state and history, and decisions a person made outside the web (on the
// phone, on paper) recorded by staff with a reason. Responses carry ids, never personal values.
import { actorOf, scopeControllers, type Principal } from '../access/principal.js';
import { looksPersonal } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { transaction } from '../db/store.js';
import { conflict, consentRule, invalidField, validation, type FieldProblem } from '../errors.js';
import { loadSubject } from '../subjects/service.js';
import { consentCatalog } from './catalog.js';
import type { ConsentDecision } from './contracts.js';
import type { ConsentList, StaffConsentBody } from './endpoints.js';
import { appendConsents, currentConsents } from './ledger.js';
import { presentRecord, presentState } from './present.js';

/** Ledger records, newest first, filtered; only controllers in the caller's scope. */
export async function listConsents(ctx: AppContext, caller: Principal, query: ConsentList) {
  const scope = scopeControllers(caller);
  if (scope !== null && scope.length === 0) return { items: [], next: null };
  let q = ctx.store.db
    .selectFrom('consent_records')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (scope !== null) q = q.where('controller_id', 'in', scope);
  if (query.subjectId !== undefined) q = q.where('subject_id', '=', query.subjectId);
  if (query.purpose !== undefined) q = q.where('purpose_key', '=', query.purpose);
  if (query.method !== undefined) q = q.where('method', '=', query.method);
  if (query.decision !== undefined) q = q.where('decision', '=', query.decision);
  if (query.after !== undefined) q = q.where('id', '<', query.after);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  // Reading whose consent says what is itself a read of personal data: audited like subject lists.
  await transaction(ctx.store, (trx) =>
    ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'consent.list',
      outcome: 'success',
      details: {
        count: page.length,
        subject: query.subjectId ?? null,
        purpose: query.purpose ?? null,
      },
    }),
  );
  return {
    items: page.map(presentRecord),
    next: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** A subject's current state per purpose and the full history (404 outside the caller's scope). */
export async function subjectConsents(ctx: AppContext, caller: Principal, id: string) {
  return transaction(ctx.store, async (trx) => {
    const subject = await loadSubject(trx, caller, id);
    const states = await currentConsents(ctx, trx, { subjectId: id });
    const history = await trx
      .selectFrom('consent_records')
      .selectAll()
      .where('subject_id', '=', id)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'consent.read',
      target: { type: 'subject', id },
      controllerId: subject.controller_id,
      outcome: 'success',
      details: { purposes: states.length, records: history.length },
    });
    return {
      subjectId: id,
      purposes: states.map(presentState),
      history: history.map(presentRecord),
    };
  });
}

/**
 * Records decisions staff took from the person (method `api`, audited with the reason), under
 * the policy version in force and its notice. The separate-consent rule applies as on the banner.
 */
export async function recordStaffConsent(
  ctx: AppContext,
  caller: Principal,
  id: string,
  body: StaffConsentBody,
) {
  if (looksPersonal(body.reason))
    throw invalidField(
      '/reason',
      'must not contain personal information such as e-mail addresses or phone numbers',
    );
  const catalog = await consentCatalog(ctx);
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  body.decisions.forEach((d, i) => {
    const purpose = catalog.purposes.get(d.purpose);
    const pointer = `/body/decisions/${i}/purpose`;
    if (purpose === undefined)
      problems.push({ pointer, detail: 'is not an active purpose in the data map' });
    else if (purpose.legalBasis !== 'consent')
      problems.push({ pointer, detail: 'does not rest on consent' });
    else if (seen.has(d.purpose)) problems.push({ pointer, detail: 'is decided twice' });
    seen.add(d.purpose);
  });
  if (problems.length > 0)
    throw validation(`${problems[0]!.pointer} ${problems[0]!.detail}`, problems);
  if (body.decisions.length > 1) {
    const i = body.decisions.findIndex(
      (d) => d.granted && catalog.purposes.get(d.purpose)!.separate,
    );
    if (i >= 0) {
      const pointer = `/body/decisions/${i}`;
      throw consentRule(
        'bundled-consent',
        `${pointer} grants "${body.decisions[i]!.purpose}", which needs separate consent: record that grant alone`,
        [{ pointer, detail: 'needs separate consent and cannot be bundled with other decisions' }],
      );
    }
  }
  const lang = body.lang ?? 'zh-CN';
  return transaction(ctx.store, async (trx) => {
    const subject = await loadSubject(trx, caller, id, ctx.store);
    if (subject.status !== 'active') throw conflict('This subject was erased.');
    const party = { subjectId: id };
    const before = new Map(
      (
        await currentConsents(
          ctx,
          trx,
          party,
          body.decisions.map((d) => d.purpose),
        )
      ).map((s) => [s.purpose, s.state]),
    );
    const rows = await appendConsents(
      ctx,
      trx,
      body.decisions.map((d) => {
        const decision: ConsentDecision = d.granted
          ? 'grant'
          : before.get(d.purpose) === 'granted'
            ? 'withdraw'
            : 'deny';
        return {
          party,
          controllerId: subject.controller_id,
          purpose: d.purpose,
          decision,
          policyVersion: catalog.latest,
          noticeSha256: catalog.purposeNotice(d.purpose, catalog.latest, lang)?.sha256 ?? null,
          method: 'api' as const,
          source: 'staff',
          lang,
          reason: body.reason,
        };
      }),
      actorOf(caller),
    );
    const states = await currentConsents(ctx, trx, party);
    return { recorded: rows.map(presentRecord), purposes: states.map(presentState) };
  });
}
