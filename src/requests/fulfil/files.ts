// Response files and their short-lived download links. A file is sealed with its request's data key
// the moment it is made; the link carries a random token whose SHA-256 alone is stored, so neither
// the database nor a backup of it can be turned into a working link. Expired files lose their
// sealed content, and erasing the person removes them.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import { constantTimeEqual, openAes256, sealAes256 } from '../../crypto/primitives.js';
import { newId } from '../../db/ids.js';
import { transaction, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { gone, notFound, type AppError } from '../../errors.js';

/**
 * How long a download link works: 72 hours. Long enough for a person to find the mail over a
 * weekend, short enough that a forwarded or leaked mail soon stops exposing the package
 * (GB/T 35273 §8.7 asks for the answer to reach only the verified person).
 */
export const DOWNLOAD_TTL_HOURS = 72;

const TOKEN_BYTES = 32;
const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

// The same binding scheme as field encryption: the sealed bytes open only in this row and column.
const contentAad = (fileId: string): Buffer =>
  Buffer.from(JSON.stringify(['custos:field:v1', 'request_files', 'content_enc', fileId]), 'utf8');

/** The request's own data key, created on first use (intake may already have made it). */
async function requestKey(ctx: AppContext, trx: Trx, requestId: string): Promise<Buffer> {
  return (
    (await ctx.keyring.dataKey(trx, 'request', requestId)) ??
    (await ctx.keyring.createDataKey(ctx.store, trx, 'request', requestId))
  );
}

/**
 * Seals and stores a package for `request`; returns the link (the token exists only in it).
 * `build` receives the link's expiry so the package can state it.
 */
export async function storePackage(
  ctx: AppContext,
  trx: Trx,
  request: Pick<Row<'requests'>, 'id' | 'controller_id' | 'subject_id'>,
  build: (expiresAt: string) => Uint8Array,
): Promise<{ fileId: string; url: string; expiresAt: string }> {
  const now = ctx.clock.now();
  const id = newId();
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const expiresAt = new Date(now.getTime() + DOWNLOAD_TTL_HOURS * 3_600_000).toISOString();
  const zip = build(expiresAt);
  const key = await requestKey(ctx, trx, request.id);
  await trx
    .insertInto('request_files')
    .values({
      id,
      request_id: request.id,
      controller_id: request.controller_id,
      subject_id: request.subject_id,
      kind: 'package',
      file_name: `custos-request-${request.id}.zip`,
      media_type: 'application/zip',
      content_enc: sealAes256(key, zip, contentAad(id)),
      size_bytes: zip.length,
      sha256: createHash('sha256').update(zip).digest('hex'),
      token_hash: hashToken(token),
      expires_at: expiresAt,
      downloads: 0,
      last_download_at: null,
      purged_at: null,
      created_at: now.toISOString(),
    })
    .execute();
  const url = `${ctx.config.baseUrl.replace(/\/+$/, '')}/api/v1/requests/files/${id}?token=${token}`;
  return { fileId: id, url, expiresAt };
}

/** Drops the sealed content of every expired file (the row stays as the record of what was sent). */
export async function purgeExpiredFiles(ctx: AppContext, trx: Trx): Promise<number> {
  const now = ctx.clock.now().toISOString();
  const result = await trx
    .updateTable('request_files')
    .set({ content_enc: null, purged_at: now })
    .where('purged_at', 'is', null)
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Removes the packages made for a subject: copies of PI that must go when the PI goes. */
export async function deleteFilesOfSubject(trx: Trx, subjectId: string): Promise<number> {
  const result = await trx
    .deleteFrom('request_files')
    .where('subject_id', '=', subjectId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** 410: the link was right but the file is no longer there to give. */
const expiredLink = (): AppError =>
  gone(
    'Gone',
    'This download link has expired. Ask for a new one through your request’s status page or the privacy contact.',
  );

export interface Download {
  fileName: string;
  mediaType: string;
  content: Buffer;
}

/**
 * Hands out a file to whoever holds its link. A wrong token is a 404 exactly like an unknown file
 * (no hint that the file exists); the right token after expiry is a 410. Every attempt, failed or
 * not, is audited as `request.download`.
 */
export async function downloadFile(
  ctx: AppContext,
  fileId: string,
  token: string,
  meta: { ipPrefix: string },
): Promise<Download> {
  const actor = { type: 'anonymous' as const, id: null };
  const outcome = await transaction(ctx.store, async (trx) => {
    const file = await trx
      .selectFrom('request_files')
      .selectAll()
      .where('id', '=', fileId)
      .executeTakeFirst();
    const valid = file !== undefined && constantTimeEqual(file.token_hash, hashToken(token));
    if (file === undefined || !valid) {
      await ctx.audit.record(trx, {
        actor,
        action: 'request.download',
        target: { type: 'request_file', id: fileId },
        controllerId: file?.controller_id ?? null,
        outcome: 'denied',
        details: { kind: file === undefined ? 'unknown_file' : 'wrong_token', ip: meta.ipPrefix },
      });
      return { kind: 'not_found' as const };
    }
    const now = ctx.clock.now().toISOString();
    const expired = file.expires_at <= now || file.content_enc === null;
    const key = expired ? null : await ctx.keyring.dataKey(trx, 'request', file.request_id);
    if (expired || key === null) {
      if (file.content_enc !== null)
        await trx
          .updateTable('request_files')
          .set({ content_enc: null, purged_at: now })
          .where('id', '=', file.id)
          .execute();
      await ctx.audit.record(trx, {
        actor,
        action: 'request.download',
        target: { type: 'request', id: file.request_id },
        controllerId: file.controller_id,
        outcome: 'failure',
        details: { kind: 'expired', file: file.id, ip: meta.ipPrefix },
      });
      return { kind: 'gone' as const };
    }
    const content = openAes256(key, file.content_enc!, contentAad(file.id));
    await trx
      .updateTable('request_files')
      .set({ downloads: sql<number>`downloads + 1`, last_download_at: now })
      .where('id', '=', file.id)
      .execute();
    await ctx.audit.record(trx, {
      actor,
      action: 'request.download',
      target: { type: 'request', id: file.request_id },
      controllerId: file.controller_id,
      outcome: 'success',
      details: {
        kind: 'package',
        file: file.id,
        bytes: content.length,
        downloads: file.downloads + 1,
        ip: meta.ipPrefix,
      },
    });
    return {
      kind: 'ok' as const,
      download: { fileName: file.file_name, mediaType: file.media_type, content },
    };
  });
  // Thrown after the transaction so the audit event of the refusal is kept.
  if (outcome.kind === 'not_found') throw notFound('file');
  if (outcome.kind === 'gone') throw expiredLink();
  return outcome.download;
}
