// The audit log over HTTP: events, signed checkpoints, inclusion and consistency proofs (each
// checkable offline with `custos audit check-proof`), and full verification.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../access/principal.js';
import type { AppContext } from '../context.js';
import { transaction } from '../db/store.js';
import { principal } from '../http/access.js';
import { parseEntry } from './events.js';
import {
  checkpointAt,
  currentSize,
  proveConsistency,
  proveInclusion,
  publicVerifierKey,
} from './tree.js';
import { verifyAuditLog } from './verify.js';

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const InclusionQuery = Type.Object(
  { event: Count, size: Type.Optional(Count) },
  { additionalProperties: false },
);
const ConsistencyQuery = Type.Object(
  { from: Count, to: Type.Optional(Count) },
  { additionalProperties: false },
);
const EventList = Type.Object(
  {
    after: Type.Optional(Count),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
    targetId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
  },
  { additionalProperties: false },
);
const CheckpointQuery = Type.Object(
  { size: Type.Optional(Count) },
  { additionalProperties: false },
);

const b64 = (b: Buffer): string => b.toString('base64');

export function auditRoutes(ctx: AppContext) {
  const origin = ctx.config.auditOrigin;
  return async function register(app: FastifyInstance): Promise<void> {
    const api = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['audit'];
    const read = { access: { permission: 'audit.read' as const } };

    api.get(
      '/audit',
      { config: read, schema: { tags, querystring: EventList } },
      async (request) => {
        const { after, limit, action, targetId } = request.query;
        let q = ctx.store.db
          .selectFrom('audit_events')
          .select(['seq', 'entry'])
          .orderBy('seq')
          .limit(limit);
        if (after !== undefined) q = q.where('seq', '>', after);
        if (action !== undefined) q = q.where('action', '=', action);
        if (targetId !== undefined) q = q.where('target_id', '=', targetId);
        const rows = await q.execute();
        return {
          items: rows.map((r) => ({ seq: Number(r.seq), ...parseEntry(r.entry) })),
          size: await currentSize(ctx.store.db),
        };
      },
    );

    api.get(
      '/audit/checkpoint',
      { config: read, schema: { tags, querystring: CheckpointQuery } },
      async (request) => {
        const c = await checkpointAt(
          ctx.store.db,
          ctx.keyring,
          origin,
          ctx.clock.now(),
          request.query.size,
        );
        return {
          size: c.size,
          root: b64(c.root),
          note: c.note,
          publicKey: publicVerifierKey(ctx.keyring, origin),
        };
      },
    );

    api.get(
      '/audit/proof/inclusion',
      { config: read, schema: { tags, querystring: InclusionQuery } },
      async (request) => {
        const size = request.query.size ?? (await currentSize(ctx.store.db));
        const proof = await proveInclusion(ctx.store.db, request.query.event, size);
        const checkpoint = await checkpointAt(
          ctx.store.db,
          ctx.keyring,
          origin,
          ctx.clock.now(),
          size,
        );
        return {
          kind: 'inclusion',
          event: proof.event,
          size: proof.size,
          entry: b64(proof.entry),
          leafHash: b64(proof.leafHash),
          proof: proof.proof.map(b64),
          checkpoint: checkpoint.note,
        };
      },
    );

    api.get(
      '/audit/proof/consistency',
      { config: read, schema: { tags, querystring: ConsistencyQuery } },
      async (request) => {
        const to = request.query.to ?? (await currentSize(ctx.store.db));
        const proof = await proveConsistency(ctx.store.db, request.query.from, to);
        const [older, newer] = [
          await checkpointAt(
            ctx.store.db,
            ctx.keyring,
            origin,
            ctx.clock.now(),
            request.query.from,
          ),
          await checkpointAt(ctx.store.db, ctx.keyring, origin, ctx.clock.now(), to),
        ];
        return {
          kind: 'consistency',
          from: request.query.from,
          to,
          proof: proof.map(b64),
          fromCheckpoint: older.note,
          checkpoint: newer.note,
        };
      },
    );

    api.get(
      '/audit/verify',
      { config: { access: { permission: 'audit.verify' } }, schema: { tags } },
      async (request) => {
        const result = await verifyAuditLog(ctx.store.db, ctx.keyring);
        await transaction(ctx.store, (trx) =>
          ctx.audit.record(trx, {
            actor: actorOf(principal(request)),
            action: 'audit.verify',
            outcome: result.ok ? 'success' : 'failure',
            details: result.ok
              ? { size: result.size }
              : { kind: result.kind, firstBadEvent: result.firstBadEvent },
          }),
        );
        return result;
      },
    );
  };
}
