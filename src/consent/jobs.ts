// Consent: periodic jobs run by the server.
import type { AppContext } from '../context.js';
import type { Job } from '../jobs/scheduler.js';
import { expireGuardianHolds } from './minors/decide.js';

/** How often held data of minors is checked against its deadline. */
const GUARDIAN_EXPIRY_SECONDS = 300;

/** The consent domain's jobs for the server's scheduler. */
export function consentJobs(ctx: AppContext): Job[] {
  return [
    {
      // Deletes a child's held data when no guardian consented in time (CUSTOS_GUARDIAN_CONSENT_HOURS).
      name: 'consent.guardian_expiry',
      everySeconds: GUARDIAN_EXPIRY_SECONDS,
      run: async () => {
        await expireGuardianHolds(ctx);
      },
    },
  ];
}
