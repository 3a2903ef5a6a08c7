// `custos export ropa`.
import type { Command } from 'commander';

export function exportCommands(_program: Command): void {}
