// What leaves the server about a cross-border transfer. The stored status never says `expired`:
// expiry is read off the clock, so a transfer stops covering exports the moment it lapses.
import type { Row } from '../../db/types.js';
import type { TransferStatus } from '../tables.js';

export function effectiveStatus(row: Row<'transfers'>, now: Date): TransferStatus {
  if (row.status === 'approved' && row.expires_at !== null && row.expires_at <= now.toISOString())
    return 'expired';
  return row.status;
}

export function presentTransfer(
  row: Row<'transfers'>,
  now: Date,
  recipient?: Pick<Row<'recipients'>, 'name' | 'kind' | 'country'>,
) {
  return {
    id: row.id,
    recipientId: row.recipient_id,
    recipient: recipient
      ? { name: recipient.name, kind: recipient.kind, country: recipient.country }
      : undefined,
    destinationCountry: row.destination_country,
    mechanism: row.mechanism,
    mechanismRef: row.mechanism_ref,
    exemptionGround: row.exemption_ground,
    categories: JSON.parse(row.categories) as string[],
    purposes: JSON.parse(row.purposes) as string[],
    expectedYearlyPersons: row.expected_yearly_persons,
    approvedAt: row.approved_at,
    expiresAt: row.expires_at,
    status: effectiveStatus(row, now),
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
