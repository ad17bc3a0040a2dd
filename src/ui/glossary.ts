// One sentence per term the controls use, shown as their tooltips (first screen and Prune panel).
import type { Pattern } from '../core/pruning';

export const PATTERN_HELP: Record<Pattern, string> = {
  hp:
    'Hierarchical pruning (HP): keep m of the tiles in every tile-row (tile level), ' +
    'then k of the Tc columns in every kept tile (vector level). Regular enough for conflict-free hardware.',
  tile: 'Tile level only: whole Tr×Tc tiles are kept or dropped, the same number in every tile-row.',
  vector: 'Vector level only: every tile keeps k of its Tc columns.',
  unstructured: 'Any weight may go (smallest scores first): the most accurate, but irregular for hardware.',
  'row-balanced': 'The same number of weights kept in every row (bank-balanced), anywhere in the row.',
  nm: 'N:M: N weights kept in every group of M consecutive inputs (M set beside).',
};

export const HELP = {
  sparsity: 'Share of the weights of every encoder matrix set to zero.',
  split:
    'How the sparsity is shared between the two HP levels (log-density): 0 = vector level only, 1 = tile level only.',
  tr:
    'Tr: rows (outputs) per tile. Every tile-row keeps the same number of tiles, ' +
    'so each processing element gets equal work.',
  tc:
    'Tc: columns (inputs) per tile. A kept tile keeps k of its Tc columns; ' +
    'the inputs live in Tc memory banks (column mod Tc).',
  score:
    'What ranks the weights: |w| (magnitude), or |w|·‖x‖ ' +
    '(magnitude times the input feature norm over calibration sentences).',
  oneShot: 'One-shot: the weights are pruned once and not retrained; accuracy would recover with fine-tuning.',
} as const;
