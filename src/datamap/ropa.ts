// Records of processing activities (PIPL art. 56 ¶2 handling records; GB/T 35273 §11.3): one
// entry per active purpose, assembled from the data map at the moment of export, as JSON or CSV.
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { transaction, type Trx } from '../db/store.js';
import { assessmentsCovering } from '../registers/assessments/service.js';
import { isOutsideMainland } from './countries.js';
import { toCsv } from './csv.js';
import { withCategories, withLinks } from './entries.js';

export const ROPA_FORMATS = ['json', 'csv'] as const;
export type RopaFormat = (typeof ROPA_FORMATS)[number];

/** What Custos itself does for every record it holds; see ARCHITECTURE.md "Keys and data". */
export const SECURITY_MEASURES = [
  'field encryption with AES-256-GCM under a per-subject data key',
  'personal information masked by default; clear values only with pi.reveal and a stated reason',
  'role-based access control, default deny, controller scoping',
  'tamper-evident audit trail (Merkle tree with signed checkpoints)',
] as const;

export interface RopaEntry {
  controller: string;
  purposeKey: string;
  purposeNameEn: string;
  purposeNameZh: string;
  legalBasis: string;
  legalBasisRef: string | null;
  necessity: string;
  separateConsent: boolean;
  automatedDecision: boolean;
  categories: Array<{
    key: string;
    nameEn: string;
    required: boolean;
    sensitive: boolean;
    sensitiveKind: string | null;
  }>;
  systems: Array<{ id: string; name: string; region: string; operator: string }>;
  recipients: Array<{ id: string; name: string; kind: string; country: string }>;
  crossBorder: boolean;
  retentionDays: number;
  retentionEnd: string;
  retentionBasis: string;
  securityMeasures: string[];
  assessments: Array<{ id: string; status: string }>;
  lastChanged: string;
  version: number;
}

export interface Ropa {
  generatedAt: string;
  controller: { name: string; region: string; contact: string | null };
  entries: RopaEntry[];
}

/** Builds the records from the current data map. */
export async function buildRopa(ctx: AppContext, trx: Trx): Promise<Ropa> {
  const self = await trx
    .selectFrom('controllers')
    .select(['name', 'region', 'contact_email'])
    .where('id', '=', 'self')
    .executeTakeFirst();
  const controller = {
    name: self?.name ?? 'This company',
    region: self?.region ?? 'CN',
    contact: ctx.config.privacyContact ?? self?.contact_email ?? null,
  };
  const purposes = await withCategories(
    trx,
    await trx
      .selectFrom('purposes')
      .selectAll()
      .where('status', '=', 'active')
      .orderBy('key')
      .execute(),
  );
  const categories = new Map(
    (await trx.selectFrom('data_categories').selectAll().execute()).map((c) => [c.key, c]),
  );
  const systems = await withLinks(
    trx,
    await trx
      .selectFrom('systems')
      .selectAll()
      .where('status', '=', 'active')
      .orderBy('id')
      .execute(),
  );
  const recipients = new Map(
    (await trx.selectFrom('recipients').selectAll().execute()).map((r) => [r.id, r]),
  );

  const entries: RopaEntry[] = [];
  for (const p of purposes) {
    const serving = systems.filter((s) => s.purposeKeys.includes(p.row.key));
    const recipientIds = new Set(
      serving.flatMap((s) => [
        ...s.recipientIds,
        ...(s.row.operator_recipient_id ? [s.row.operator_recipient_id] : []),
      ]),
    );
    const receiving = [...recipientIds]
      .map((id) => recipients.get(id))
      .filter((r) => r !== undefined)
      .sort((a, b) => a.id.localeCompare(b.id));
    const linked = await assessmentsCovering(
      trx,
      [p.row.key],
      serving.map((s) => s.row.id),
    );
    entries.push({
      controller: controller.name,
      purposeKey: p.row.key,
      purposeNameEn: p.row.name_en,
      purposeNameZh: p.row.name_zh,
      legalBasis: p.row.legal_basis,
      legalBasisRef: p.row.legal_basis_ref,
      necessity: p.row.necessity,
      separateConsent: p.row.separate_consent === 1,
      automatedDecision: p.row.automated_decision === 1,
      categories: p.categories.map((c) => {
        const cat = categories.get(c.key);
        return {
          key: c.key,
          nameEn: cat?.name_en ?? c.key,
          required: c.required,
          sensitive: cat?.sensitive === 1,
          sensitiveKind: cat?.sensitive_kind ?? null,
        };
      }),
      systems: serving.map((s) => ({
        id: s.row.id,
        name: s.row.name,
        region: s.row.region,
        operator: s.row.operator,
      })),
      recipients: receiving.map((r) => ({
        id: r.id,
        name: r.name,
        kind: r.kind,
        country: r.country,
      })),
      crossBorder:
        serving.some((s) => isOutsideMainland(s.row.region)) ||
        receiving.some((r) => isOutsideMainland(r.country)),
      retentionDays: p.row.retention_days,
      retentionEnd: p.row.retention_end,
      retentionBasis: p.row.retention_basis,
      securityMeasures: [...SECURITY_MEASURES],
      assessments: linked.map((a) => ({ id: a.id, status: a.status })),
      lastChanged: p.row.updated_at,
      version: p.row.version,
    });
  }
  return { generatedAt: ctx.clock.now().toISOString(), controller, entries };
}

export const ROPA_CSV_HEADER = [
  'controller',
  'purpose_key',
  'purpose_name_en',
  'purpose_name_zh',
  'legal_basis',
  'legal_basis_ref',
  'necessity',
  'separate_consent',
  'automated_decision',
  'categories',
  'sensitive_categories',
  'systems',
  'storage_regions',
  'recipients',
  'recipient_countries',
  'cross_border',
  'retention_days',
  'retention_end',
  'retention_basis',
  'security_measures',
  'impact_assessments',
  'last_changed',
  'version',
] as const;

const LIST = '; ';
const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const unique = (values: string[]) => [...new Set(values)].sort();

/** One CSV record per entry, in ROPA_CSV_HEADER order; lists joined with "; ". */
export function ropaCsvRow(e: RopaEntry): string[] {
  return [
    e.controller,
    e.purposeKey,
    e.purposeNameEn,
    e.purposeNameZh,
    e.legalBasis,
    e.legalBasisRef ?? '',
    e.necessity,
    yesNo(e.separateConsent),
    yesNo(e.automatedDecision),
    e.categories.map((c) => c.key).join(LIST),
    e.categories
      .filter((c) => c.sensitive)
      .map((c) => `${c.key} (${c.sensitiveKind ?? 'sensitive'})`)
      .join(LIST),
    e.systems.map((s) => `${s.name} [${s.region}]`).join(LIST),
    unique(e.systems.map((s) => s.region)).join(LIST),
    e.recipients.map((r) => `${r.name} [${r.country}]`).join(LIST),
    unique(e.recipients.map((r) => r.country)).join(LIST),
    yesNo(e.crossBorder),
    String(e.retentionDays),
    e.retentionEnd,
    e.retentionBasis,
    e.securityMeasures.join(LIST),
    e.assessments.map((a) => `${a.id} (${a.status})`).join(LIST),
    e.lastChanged,
    String(e.version),
  ];
}

export function ropaCsv(ropa: Ropa): string {
  return toCsv(ROPA_CSV_HEADER, ropa.entries.map(ropaCsvRow));
}

/** Builds and renders the records, auditing the export in the same transaction. */
export async function exportRopa(
  ctx: AppContext,
  actor: Actor,
  format: RopaFormat,
): Promise<{ ropa: Ropa; body: string }> {
  return transaction(ctx.store, async (trx) => {
    const ropa = await buildRopa(ctx, trx);
    await ctx.audit.record(trx, {
      actor,
      action: 'datamap.ropa_export',
      outcome: 'success',
      details: { format, entries: ropa.entries.length },
    });
    const body = format === 'csv' ? ropaCsv(ropa) : `${JSON.stringify(ropa, null, 2)}\n`;
    return { ropa, body };
  });
}
