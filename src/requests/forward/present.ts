// The allow-list of what leaves the server about a controller's endpoints and a controller's
// answer. Secrets never do: only whether they are set. A webhook URL's query may carry the
// receiver's own token, so it is shown redacted.
import type { Row } from '../../db/types.js';

/** The URL without its query's values: enough to recognise it, nothing to replay. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.search === '') return u.toString();
  u.search = '';
  return `${u.toString()}?…`;
}

export interface EndpointsView {
  controllerId: string;
  forwardEmail: string | null;
  /** Where forwarded requests are mailed: the endpoint's mailbox, the contact e-mail, or nowhere. */
  mailTo: 'forward_email' | 'contact_email' | null;
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  responseTokenSet: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

export function presentEndpoints(
  controller: Pick<Row<'controllers'>, 'id' | 'contact_email'>,
  row: Row<'controller_endpoints'> | undefined,
): EndpointsView {
  const forwardEmail = row?.forward_email ?? null;
  return {
    controllerId: controller.id,
    forwardEmail,
    mailTo:
      forwardEmail !== null
        ? 'forward_email'
        : controller.contact_email !== null
          ? 'contact_email'
          : null,
    webhookUrl: row?.webhook_url == null ? null : redactUrl(row.webhook_url),
    webhookSecretSet: (row?.webhook_signer_id ?? null) !== null,
    responseTokenSet: (row?.response_token_hash ?? null) !== null,
    createdAt: row?.created_at ?? null,
    updatedAt: row?.updated_at ?? null,
  };
}
