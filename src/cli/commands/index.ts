/**
 * The list of `weft` commands, in the order `weft --help` shows them.
 */
import type { Command } from '../command.js';
import { analyzeCommand } from './analyze.js';
import { applyCommand } from './apply.js';
import { controlCommand } from './control.js';
import { deleteCommand } from './delete.js';
import { getCommand } from './get.js';
import { proxyCommand } from './proxy.js';
import { proxyStatusCommand } from './proxy-status.js';

/** Every command `weft` knows. */
export const COMMANDS: readonly Command[] = [analyzeCommand, applyCommand, getCommand, deleteCommand, proxyStatusCommand, controlCommand, proxyCommand];
