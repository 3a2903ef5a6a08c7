// Who is calling: a staff member through a session cookie or an API token. Authorization decisions
// read only this object; controller scoping is applied inside queries (`scopeControllers`), so a
// handler of controller A never even loads controller B's rows (OWASP API1, ASVS 8.2.2).
import type { Actor } from '../audit/events.js';
import { forbidden } from '../errors.js';
import type { Permission, Role } from './permissions.js';

export interface Principal {
  via: 'session' | 'token';
  userId: string;
  roles: Role[];
  permissions: ReadonlySet<Permission>;
  /** 'all' or the ids of the controllers this person may see. */
  controllers: 'all' | ReadonlySet<string>;
  sessionId: string | null;
  tokenId: string | null;
}

/** The audit actor for a principal; API-token calls name the token as well as its owner. */
export function actorOf(p: Principal): Actor {
  return p.via === 'token' ? { type: 'token', id: p.tokenId } : { type: 'user', id: p.userId };
}

export function can(p: Principal, permission: Permission): boolean {
  return p.permissions.has(permission);
}

export function demand(p: Principal, permission: Permission): void {
  if (!can(p, permission)) throw forbidden(permission);
}

/** True when `controllerId` is inside the principal's scope. */
export function inScope(p: Principal, controllerId: string): boolean {
  return p.controllers === 'all' || p.controllers.has(controllerId);
}

/** The controller ids a query must be restricted to, or null for every controller. */
export function scopeControllers(p: Principal): string[] | null {
  return p.controllers === 'all' ? null : [...p.controllers];
}
