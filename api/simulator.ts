// bluezone-beacon/simulator: the multi-device radio simulator (docs/simulator.md): a scenario (built-in
// name or YAML file) run to observations, truth and metrics. Same seed => byte-identical outputs.
export { runSimulation } from '../sim/run.ts';
export type { RunOptions, RunResult, RunStats } from '../sim/types.ts';
export { loadScenario, loadScenarioFile, parseScenarioText, builtinNames, ScenarioError } from '../sim/scenario/load.ts';
export type { Scenario } from '../sim/scenario/schema.ts';
