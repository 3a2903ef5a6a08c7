// Consent receipts: the person's own copy of what they decided, as JSON in the shape of the
// Kantara Initiative Consent Receipt v1.1 (the basis of ISO/IEC 27560), extended with the current
// state of each purpose and its full history. A known person proves themselves with the receipt
// token they were given; a banner visitor with the random id their browser keeps. Each download is
// an audit event.
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { transaction, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';
import { notFound, validation } from '../errors.js';
import type { ReceiptQuery } from './endpoints.js';
import { visitorDigest, type ConsentParty } from './ledger.js';
import { presentEvent } from './present.js';
import { stateOf } from './contracts.js';
import { receiptTokenHash } from './receipt-tokens.js';

export const RECEIPT_VERSION = 'KI-CR-v1.1.0';

/** The subject a receipt token stands for, if the token is known and not expired. */
export async function subjectOfToken(
  ctx: AppContext,
  trx: Trx,
  token: string,
): Promise<string | null> {
  const row = await trx
    .selectFrom('consent_receipt_tokens')
    .select(['subject_id', 'expires_at'])
    .where('token_hash', '=', receiptTokenHash(token))
    .executeTakeFirst();
  if (row === undefined || row.expires_at <= ctx.clock.now().toISOString()) return null;
  return row.subject_id;
}

async function historyOf(
  ctx: AppContext,
  trx: Trx,
  party: ConsentParty,
): Promise<Array<Row<'consent_records'>>> {
  let q = trx.selectFrom('consent_records').selectAll();
  q =
    'subjectId' in party
      ? q.where('subject_id', '=', party.subjectId)
      : q.where('visitor_digest', '=', visitorDigest(ctx, party.visitorId));
  return q.orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

/** Builds the receipt for `query` (exactly one of token or visitor); 404 when there is none. */
export async function consentReceipt(ctx: AppContext, query: ReceiptQuery) {
  if ((query.token === undefined) === (query.visitor === undefined))
    throw validation('Give exactly one of token or visitor.', [
      { pointer: '/querystring', detail: 'needs exactly one of token or visitor' },
    ]);
  return transaction(ctx.store, async (trx) => {
    let party: ConsentParty;
    if (query.token !== undefined) {
      const subjectId = await subjectOfToken(ctx, trx, query.token);
      if (subjectId === null) throw notFound('consent receipt');
      party = { subjectId };
    } else party = { visitorId: query.visitor! };
    const rows = await historyOf(ctx, trx, party);
    if (rows.length === 0) throw notFound('consent receipt');
    const last = rows.at(-1)!;

    const purposeKeys = [...new Set(rows.map((r) => r.purpose_key))].sort();
    const controllerIds = [...new Set(rows.map((r) => r.controller_id))].sort();
    const [purposes, links, controllers] = await Promise.all([
      trx
        .selectFrom('purposes')
        .select(['key', 'name_en', 'name_zh', 'legal_basis', 'separate_consent', 'retention_days'])
        .where('key', 'in', purposeKeys)
        .execute(),
      trx
        .selectFrom('purpose_categories')
        .select(['purpose_key', 'category_key'])
        .where('purpose_key', 'in', purposeKeys)
        .orderBy('category_key')
        .execute(),
      trx
        .selectFrom('controllers')
        .select(['id', 'name', 'contact_email'])
        .where('id', 'in', controllerIds)
        .orderBy('id')
        .execute(),
    ]);
    const byKey = new Map(purposes.map((p) => [p.key, p]));
    const lang = last.lang;
    const entries = purposeKeys.map((key) => {
      const events = rows.filter((r) => r.purpose_key === key);
      const latest = events.at(-1)!;
      const p = byKey.get(key);
      return {
        purpose: p === undefined ? key : lang === 'en' ? p.name_en : p.name_zh,
        purposeKey: key,
        purposeCategory: [p?.legal_basis ?? 'unknown'],
        consentType: 'EXPLICIT',
        piiCategory: links.filter((l) => l.purpose_key === key).map((l) => l.category_key),
        primaryPurpose: p?.legal_basis !== 'consent',
        termination:
          p === undefined
            ? 'on withdrawal'
            : `on withdrawal, or ${p.retention_days} days after collection`,
        thirdPartyDisclosure: p?.separate_consent === 1,
        separateConsent: p?.separate_consent === 1,
        state: stateOf(latest.decision),
        policyVersion: latest.policy_version,
        history: events.map(presentEvent),
      };
    });

    await ctx.audit.record(trx, {
      actor: { type: 'anonymous', id: null },
      action: 'consent.receipt',
      target:
        'subjectId' in party
          ? { type: 'subject', id: party.subjectId }
          : { type: 'visitor', id: null },
      controllerId: controllerIds.length === 1 ? controllerIds[0] : null,
      outcome: 'success',
      details: { by: 'subjectId' in party ? 'token' : 'visitor', records: rows.length },
    });

    const base = ctx.config.baseUrl.replace(/\/$/, '');
    return {
      version: RECEIPT_VERSION,
      jurisdiction: 'CN',
      consentTimestamp: Math.floor(Date.parse(last.created_at) / 1000),
      collectionMethod: last.method,
      consentReceiptID: newId(ctx.clock.now().getTime()),
      language: lang,
      // Pseudonymous: the subject id, or only "visitor" (the visitor id is the browser's secret).
      piiPrincipalId: 'subjectId' in party ? party.subjectId : 'visitor',
      piiControllers: controllers.map((c) => ({
        piiController: c.name,
        onBehalf: false,
        contact: ctx.config.privacyContact ?? c.contact_email ?? '',
        email: c.contact_email ?? ctx.config.privacyContact ?? '',
        piiControllerUrl: base,
      })),
      policyUrl: `${base}/privacy`,
      services: [{ service: 'Custos', purposes: entries }],
      sensitive: entries.some((e) => e.separateConsent),
      spiCat: [],
      issuedAt: ctx.clock.now().toISOString(),
    };
  });
}
