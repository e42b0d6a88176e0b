// Type-checked against the package's .d.ts (npm run typecheck): the API's types as a consumer sees them.
import { bluezoneIdAt, classifyAll, evaluateWindows, type EvalResult, type Observation, type WindowResult } from 'bluezone-beacon';
import { classifyAdvert, type AdvertClass } from 'bluezone-beacon/protocol';
import { runSimulation, type RunResult } from 'bluezone-beacon/simulator';
import { startVirtualAir, type VirtualAir } from 'bluezone-beacon/air';

const obs: Observation[] = [];
const windows: WindowResult[] = classifyAll(obs, { method: 'gaen' }).windows;
const result: EvalResult = evaluateWindows('gaen', windows, () => undefined);
const id: Uint8Array = bluezoneIdAt(new Uint8Array(32), 0, 0).id;
const kind: AdvertClass['kind'] = classifyAdvert(id).kind;
const run: (s: Parameters<typeof runSimulation>[0]) => Promise<RunResult> = runSimulation;
const air: () => Promise<VirtualAir> = () => startVirtualAir({ port: 0 });
export { result, kind, run, air };
