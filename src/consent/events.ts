// Checking a banner consent event against the catalog, before anything is queued for writing. Every
// rule that can refuse an event is here, so a refused event writes nothing:
//   - the policy version must exist (an older one is accepted and recorded as such);
//   - each category must be known, not essential, and decided once;
//   - a browser signal (GPC, DNT) can only deny: it is not a person's affirmative act (PIPL art. 14);
//   - a grant of a category whose purpose needs separate consent comes alone (PIPL arts. 23, 25,
//     26, 29, 39; GB/T 35273 §5.4): bundled with anything else it is refused as a whole.
import type { IncomingHttpHeaders } from 'node:http';
import { consentRule, validation, type FieldProblem } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { ConsentEventBody } from './schema.js';
import type { QueuedConsent } from './writer.js';

/** A request header sent exactly as `1`, on any of its lines (Sec-GPC: GPC spec §5; DNT). */
export function signalOn(rawHeaders: readonly string[], name: 'sec-gpc' | 'dnt'): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === name && rawHeaders[i + 1]!.trim() === '1') return true;
  return false;
}

export interface EventClient {
  ip: string;
  headers: IncomingHttpHeaders;
  rawHeaders: readonly string[];
}

/** One decision of the event, bound to its category. */
export interface CheckedDecision {
  category: string;
  purpose: string;
}

/**
 * Validates the event and returns the records to queue, in the order of `decisions`. Throws a 400
 * naming every bad field, or `bundled-consent` for a bundled separate grant.
 */
export function checkEvent(
  catalog: Catalog,
  body: ConsentEventBody,
  client: EventClient,
): { records: QueuedConsent[]; decisions: CheckedDecision[] } {
  const problems: FieldProblem[] = [];
  const known = catalog.versions.has(body.policyVersion);
  if (!known)
    problems.push({ pointer: '/body/policyVersion', detail: 'is not a published policy version' });
  const signal = body.method === 'gpc' || body.method === 'dnt';
  const seen = new Set<string>();
  body.decisions.forEach((d, i) => {
    const at = `/body/decisions/${i}`;
    const category = catalog.categories.get(d.category);
    if (category === undefined)
      problems.push({ pointer: `${at}/category`, detail: 'is not a known cookie category' });
    else if (category.essential || category.purpose === null)
      problems.push({
        pointer: `${at}/category`,
        detail: 'is essential: it is always on and is not decided',
      });
    else if (seen.has(d.category))
      problems.push({ pointer: `${at}/category`, detail: 'is decided twice in one event' });
    seen.add(d.category);
    if (signal && d.granted)
      problems.push({
        pointer: `${at}/granted`,
        detail: `a ${body.method} signal can only deny; a grant needs the person's own choice`,
      });
  });
  if (problems.length > 0)
    throw validation(`${problems[0]!.pointer} ${problems[0]!.detail}`, problems);

  const decisions = body.decisions.map((d) => {
    const category = catalog.categories.get(d.category)!;
    return { category: d.category, purpose: category.purpose!, separate: category.separate };
  });
  if (decisions.length > 1) {
    const i = body.decisions.findIndex((d, j) => d.granted && decisions[j]!.separate);
    if (i >= 0) {
      const pointer = `/body/decisions/${i}`;
      throw consentRule(
        'bundled-consent',
        `${pointer} grants "${body.decisions[i]!.category}", whose purpose needs separate consent: send that grant alone in its own event`,
        [{ pointer, detail: 'needs separate consent and cannot be bundled with other decisions' }],
      );
    }
  }

  const gpc = body.gpc === true || signalOn(client.rawHeaders, 'sec-gpc');
  const dnt = body.dnt === true || signalOn(client.rawHeaders, 'dnt');
  const userAgent = client.headers['user-agent'];
  const records = body.decisions.map((d, i): QueuedConsent => {
    const category = catalog.categories.get(d.category)!;
    // A signal showed nothing, so no notice was seen; a banner choice names what it displayed.
    const notice = signal ? null : catalog.noticeOf(category, body.policyVersion, body.lang);
    return {
      party: { visitorId: body.visitorId },
      controllerId: 'self',
      purpose: decisions[i]!.purpose,
      granted: d.granted,
      policyVersion: body.policyVersion,
      noticeSha256: notice?.sha256 ?? null,
      method: body.method,
      source: body.action === undefined ? body.method : `${body.method}:${body.action}`,
      lang: body.lang,
      client: { ip: client.ip, userAgent, gpc, dnt },
    };
  });
  return {
    records,
    decisions: decisions.map((d) => ({ category: d.category, purpose: d.purpose })),
  };
}
