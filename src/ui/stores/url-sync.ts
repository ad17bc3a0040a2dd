// Keeps the URL and the shared state in step: a shared link restores the model choice, the
// sliders, the workload and the constraints.
import { decodeState, encodeState, type AppState } from './url-state';
import type { PruneConfig } from '../../core/pruning';

export interface SyncedState {
  pruning: PruneConfig;
  workload: AppState['workload'];
  constraints: AppState['constraints'];
}

/** Applies the URL's state onto `target`; returns the keys the URL had wrong (for a notice). */
export function restoreFromUrl(target: SyncedState, search = location.search): string[] {
  const { state, rejected } = decodeState(search);
  Object.assign(target.pruning, state.pruning);
  Object.assign(target.workload, state.workload);
  Object.assign(target.constraints, state.constraints);
  return rejected;
}

export function stateUrl(source: SyncedState, model = 'tinybert-4l-312d'): string {
  const { pattern, sparsity, split, tr, tc, score, groupSparsity } = source.pruning;
  const params = encodeState({
    model,
    // 'obs' is a CLI-only score (the panel does not offer it): never in the page's state.
    pruning: {
      pattern,
      sparsity,
      split,
      tr,
      tc,
      score: score === 'obs' ? 'magnitude' : score,
      ...(groupSparsity ? { groupSparsity: { ...groupSparsity } } : {}),
    },
    workload: { ...source.workload },
    constraints: { ...source.constraints },
    view: { panel: '', device: '' },
  });
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ''}${location.hash}`;
}
