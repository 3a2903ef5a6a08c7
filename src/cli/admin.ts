// `custos admin create|unlock`: staff accounts from the command line (the first administrator
// cannot be created through the API, which needs a login).
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { isRole, ROLES, type Role } from '../access/permissions.js';
import { createUser, findUserByEmail, unlockUser } from '../access/users.js';
import type { Actor } from '../audit/events.js';
import { CliExit, EXIT_FAILED, flagsOf, readStdin, withContext } from './common.js';

const cliActor: Actor = { type: 'cli', id: null };
const collect = (value: string, previous: string[]): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export function adminCommands(program: Command): void {
  const admin = program.command('admin').description('manage staff accounts');

  admin
    .command('create')
    .description('create a staff account; prints the TOTP enrolment URI once')
    .requiredOption('--email <email>', 'login e-mail address')
    .option(
      '--role <role>',
      `role, repeatable or comma-separated (${ROLES.join(', ')})`,
      collect,
      [],
    )
    .option(
      '--controllers <ids>',
      'controller ids this person may work on, comma-separated, or "all"',
      'all',
    )
    .option(
      '--password-stdin',
      'read the password from standard input (otherwise one is generated and printed once)',
    )
    .option(
      '--no-totp',
      'do not enrol a second factor (refused for roles that can reveal personal data)',
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        opts: {
          email: string;
          role: string[];
          controllers: string;
          passwordStdin?: boolean;
          totp: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const roles = opts.role.length > 0 ? opts.role : ['admin'];
        const unknown = roles.filter((r) => !isRole(r));
        if (unknown.length > 0)
          throw new CliExit(
            `unknown role(s): ${unknown.join(', ')}; known: ${ROLES.join(', ')}`,
            EXIT_FAILED,
          );
        let password: string;
        let generated = false;
        if (opts.passwordStdin) {
          password = (await readStdin()).replace(/\r?\n$/, '');
        } else {
          password = randomBytes(18).toString('base64url');
          generated = true;
        }
        const controllers =
          opts.controllers === 'all'
            ? ('all' as const)
            : opts.controllers
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean);
        const created = await withContext(flagsOf(cmd.optsWithGlobals()), (ctx) =>
          createUser(ctx, cliActor, {
            email: opts.email,
            roles: roles as Role[],
            controllers,
            password,
            totp: opts.totp,
          }),
        );
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ id: created.id, roles, totpUri: created.totpUri, ...(generated ? { password } : {}) })}\n`,
          );
          return;
        }
        process.stdout.write(`Created staff account ${created.id} (${roles.join(', ')}).\n`);
        if (generated) process.stdout.write(`Password (shown once): ${password}\n`);
        if (created.totpUri)
          process.stdout.write(
            `Add this to an authenticator app (shown once):\n${created.totpUri}\n`,
          );
      },
    );

  admin
    .command('unlock')
    .description('clear the login lockout of a staff account')
    .requiredOption('--email <email>', 'login e-mail address')
    .action(async (opts: { email: string }, cmd: Command) => {
      await withContext(flagsOf(cmd.optsWithGlobals()), async (ctx) => {
        const user = await findUserByEmail(ctx, ctx.store.db, opts.email);
        if (user === null)
          throw new CliExit('no staff account with that e-mail address', EXIT_FAILED);
        await unlockUser(ctx, cliActor, user.id);
      });
      process.stdout.write('Unlocked.\n');
    });
}
