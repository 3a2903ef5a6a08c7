// Roles bundle permissions; routes declare the one permission they need (default deny: a route
// that declares none is refused, and a test fails the build). Least privilege by design: the
// administrator manages people and configuration but does not read personal values in clear.

export const PERMISSIONS = [
  /** Any logged-in staff member: their own profile, logout, their own API tokens. */
  'self',
  'controllers.read',
  'controllers.write',
  'subjects.read',
  'subjects.write',
  'subjects.erase',
  /** See personal values in clear (with a stated reason, audited). Requires a second factor. */
  'pi.reveal',
  'audit.read',
  'audit.verify',
  'users.read',
  'users.manage',
  /** The data map: categories, purposes, systems, recipients; records of processing. */
  'datamap.read',
  'datamap.write',
  /** Retention schedules, legal holds and sweeps. */
  'retention.read',
  'retention.manage',
  /** Disclosure, law-enforcement, transfer-of-control and cross-border transfer registers. */
  'registers.read',
  'registers.write',
  /** Approve a cross-border transfer (the export guard lets data through only approved ones). */
  'transfers.approve',
  /** Deliver a subject's PI to a recipient through Custos (needs a register entry). */
  'pi.disclose',
  'incidents.read',
  'incidents.write',
  /** Personal-information protection impact assessments (PIPL art. 55). */
  'assessments.read',
  'assessments.write',
  /** Rights requests: see the queue; work requests; approve fees and refusals on grounds 5/7/8. */
  'requests.read',
  'requests.handle',
  'requests.approve',
  /** The consent ledger and the inquiries collected by forms. */
  'consents.read',
  /** Policy versions, consent notices and the banner's cookie categories. */
  'consents.manage',
  /** Send marketing mail (every send checks consent and the suppression list). */
  'marketing.send',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = [
  'admin',
  'privacy_officer',
  'request_handler',
  'security_officer',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [
    'self',
    'controllers.read',
    'controllers.write',
    'subjects.read',
    'audit.read',
    'users.read',
    'users.manage',
    'datamap.read',
    'datamap.write',
    'retention.read',
    'consents.read',
    'consents.manage',
  ],
  privacy_officer: [
    'self',
    'controllers.read',
    'subjects.read',
    'subjects.write',
    'subjects.erase',
    'pi.reveal',
    'audit.read',
    'datamap.read',
    'datamap.write',
    'retention.read',
    'retention.manage',
    'registers.read',
    'registers.write',
    'transfers.approve',
    'pi.disclose',
    'incidents.read',
    'incidents.write',
    'assessments.read',
    'assessments.write',
    'requests.read',
    'requests.handle',
    'requests.approve',
    'consents.read',
    'consents.manage',
    'marketing.send',
  ],
  request_handler: [
    'self',
    'controllers.read',
    'subjects.read',
    'subjects.write',
    'pi.reveal',
    'datamap.read',
    'registers.read',
    'requests.read',
    'requests.handle',
    'consents.read',
  ],
  security_officer: [
    'self',
    'controllers.read',
    'audit.read',
    'audit.verify',
    'users.read',
    'datamap.read',
    'registers.read',
    'incidents.read',
    'incidents.write',
    'assessments.read',
  ],
  auditor: [
    'self',
    'controllers.read',
    'subjects.read',
    'audit.read',
    'audit.verify',
    'datamap.read',
    'retention.read',
    'registers.read',
    'incidents.read',
    'assessments.read',
    'requests.read',
    'consents.read',
  ],
};

/** The union of the permissions of `roles`. */
export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  return new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r]));
}

/** Roles that can see personal values must log in with a second factor (ASVS 6.3.2). */
export function requiresSecondFactor(roles: readonly Role[]): boolean {
  return permissionsOf(roles).has('pi.reveal');
}

export const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);
export const isPermission = (v: string): v is Permission =>
  (PERMISSIONS as readonly string[]).includes(v);

/** Parses the stored JSON role list, dropping anything unknown (a removed role grants nothing). */
export function parseRoles(json: string): Role[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed)
    ? parsed.filter((r): r is Role => typeof r === 'string' && isRole(r))
    : [];
}
