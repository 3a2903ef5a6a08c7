// Correction on SQLite and PostgreSQL: bad corrections refused with nothing changed, then a value
// re-encrypted, its blind index replaced, recipients named, and a history kept without values.
import { describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { fulfilSuite, rejection } from '../../../test/support/fulfil.js';

describe.each(DB_KINDS)('fulfilment on %s', (kind) => {
  const fx = fulfilSuite(kind);
  const { makeSubject, makeRequest, run, count, searchByEmail, disclose } = fx;

  it('corrects a value: re-encrypted, blind index replaced, history without values', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'old.mail@example.com' },
      { category: 'phone', purpose: 'consultation', value: '13800001111' },
    ]);
    await disclose(subject, 'Correction Recipient Co');
    const other = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'someone.else@example.com' },
    ]);
    const [email] = await fx.env.ctx.store.db
      .selectFrom('pi_records')
      .select(['id', 'value_enc'])
      .where('subject_id', '=', subject)
      .where('category', '=', 'email')
      .execute();
    const [otherRecord] = await fx.env.ctx.store.db
      .selectFrom('pi_records')
      .select('id')
      .where('subject_id', '=', other)
      .execute();

    // Bad input first: nothing may change.
    const request = await makeRequest('correction', subject);
    const foreign = await rejection(
      run(request, { corrections: [{ recordId: otherRecord!.id, value: 'x@example.com' }] }),
    );
    expect(foreign.status).toBe(400);
    expect(foreign.code).toBe('validation');
    expect(foreign.extra.errors?.[0]?.pointer).toBe('/body/corrections/0/recordId');
    const invalid = await rejection(
      run(request, {
        corrections: [
          { recordId: email!.id, value: 'new.mail@example.com' },
          { recordId: email!.id, value: 'again@example.com' },
        ],
      }),
    );
    expect(invalid.extra.errors?.[0]?.pointer).toBe('/body/corrections/1/recordId');
    const badValue = await rejection(
      run(request, { corrections: [{ recordId: email!.id, value: 'not an e-mail' }] }),
    );
    expect(badValue.extra.errors?.[0]).toMatchObject({ pointer: '/body/corrections/0/value' });
    expect(badValue.message).not.toContain('not an e-mail');
    const none = await rejection(run(request, { corrections: [] }));
    expect(none.extra.errors?.[0]?.pointer).toBe('/body/corrections');
    expect(await count('record_corrections', subject)).toBe(0);
    const unchanged = await fx.env.ctx.store.db
      .selectFrom('pi_records')
      .select('value_enc')
      .where('id', '=', email!.id)
      .executeTakeFirstOrThrow();
    expect(unchanged.value_enc!.equals(email!.value_enc!)).toBe(true);
    expect(await searchByEmail('old.mail@example.com')).toEqual([subject]);

    const outcome = await run(request, {
      corrections: [{ recordId: email!.id, value: '  New.Mail@Example.com ' }],
    });
    expect(outcome.done).toEqual([
      { kind: 'corrected_records', count: 1, detail: 'email' },
      { kind: 'recipients_to_inform', count: 1 },
    ]);
    expect(outcome.recipients?.[0]).toMatchObject({ name: 'Correction Recipient Co' });
    expect(await searchByEmail('new.mail@example.com')).toEqual([subject]);
    expect(await searchByEmail('old.mail@example.com')).toEqual([]);
    const revealed = await fx.officer.client.post(`/api/v1/subjects/${subject}/reveal`, {
      reason: 'check the corrected e-mail address',
      recordIds: [email!.id],
    });
    expect(revealed.body.records[0].value).toBe('new.mail@example.com');
    const history = await fx.env.ctx.store.db
      .selectFrom('record_corrections')
      .selectAll()
      .where('subject_id', '=', subject)
      .execute();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      record_id: email!.id,
      request_id: request.id,
      category: 'email',
      actor_type: 'user',
      actor_id: fx.officer.id,
    });
    expect(JSON.stringify(history)).not.toContain('mail@example.com');
  });
});
