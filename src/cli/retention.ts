// `custos retention run`.
import type { Command } from 'commander';

export function retentionCommands(_program: Command): void {}
