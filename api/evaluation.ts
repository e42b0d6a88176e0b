// bluezone-beacon/evaluation: truth labelling and the metrics `bluezone eval` and `sim run` report
// (docs/evaluation.md): a window is a contact when the median distance of its truth rows is <= 2 m.
export { CONTACT_M, truthLabels, windowKey, windowStartOf, WindowTruth, type TruthLike } from '../eval/labels.ts';
export {
  evaluateWindows, belowThresholds, resultJson, DEFAULT_COSTS,
  type ScoredWindow, type EvalCosts, type EvalResult, type Thresholds,
} from '../eval/evaluate.ts';
export { auc, rocPoints, prf, type RocPoint, type Confusion } from '../eval/metrics.ts';
