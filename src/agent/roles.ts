// Who may do what on an agent. Three roles, each including the one below it: a viewer reads
// (queries, read-only methods), an operator also runs the domain lifecycle, an admin may do
// everything. The role each method needs is written in its handler row (kinds/*-methods.ts);
// this file holds the roles and who has them. The user is the one RabbitMQ checked for the
// request (its `user_id`), so it cannot be forged.
import { MethodError, QmfStatus } from "../qmf/errors.js";

/** The roles, lowest first. */
export const ROLES = ["viewer", "operator", "admin"] as const;
/** A role a broker user may hold on an agent. */
export type Role = (typeof ROLES)[number];

/** The broker users of each role, as the `roles` setting names them. */
export type RoleUsers = { readonly [R in Role]?: readonly string[] };

const rank = (r: Role): number => ROLES.indexOf(r);

/** Is `s` the name of a role? */
export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** Does a holder of `held` have `needed` (a higher role includes the lower ones)? */
export const includes = (held: Role, needed: Role): boolean => rank(held) >= rank(needed);

/**
 * Each broker user's role on this agent, from the `roles` and `controlUsers` settings
 * (`controlUsers` is a shorthand for admin). A user named under several roles has the highest.
 * With neither setting the agent is open: every user is an admin, as before roles existed.
 */
export class AccessPolicy {
  private readonly users = new Map<string, Role>();
  /** No roles are set: every user may do everything. */
  readonly open: boolean;

  constructor(roles?: RoleUsers, controlUsers?: readonly string[]) {
    this.open = roles === undefined && controlUsers === undefined;
    const grant = (user: string, role: Role) => {
      const had = this.users.get(user);
      if (had === undefined || !includes(had, role)) this.users.set(user, role);
    };
    for (const role of ROLES) for (const u of roles?.[role] ?? []) grant(u, role);
    for (const u of controlUsers ?? []) grant(u, "admin");
  }

  /** The role of `user` (admin for everyone on an open agent); undefined: none. */
  roleOf(user: string | undefined): Role | undefined {
    if (this.open) return "admin";
    return user === undefined ? undefined : this.users.get(user);
  }

  /** Throws FORBIDDEN unless `user` holds `needed`; `what` names the request in the text. */
  require(user: string | undefined, needed: Role, what: string): void {
    const held = this.roleOf(user);
    if (held !== undefined && includes(held, needed)) return;
    throw new MethodError(
      QmfStatus.FORBIDDEN,
      `user ${user ?? "(unknown)"} lacks role ${needed} for ${what}`,
    );
  }
}
