// A project that uses bluezone-beacon as a library (docs/api.md). Run: npm install && node main.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bluezoneIdAt, buildAndroidFrame, classifyAdvert, classifyAll, evaluateWindows, generateBaseKey,
  observationReader, readCsvFile, toHex, truthLabels, truthReader, windowKey, DEFAULT_WINDOW_MS,
} from 'bluezone-beacon';
import { loadScenario, runSimulation } from 'bluezone-beacon/simulator';

// 1. Protocol: the ID a beacon with a fresh base key advertises now, and its Android frame.
const baseKey = generateBaseKey();
const today = Date.UTC(2026, 10, 23);
const { id, slot } = bluezoneIdAt(baseKey, today, today + 9 * 3_600_000);
const frame = buildAndroidFrame(id);
console.log(`id ${toHex(id)} in slot ${slot}: frame is ${classifyAdvert(frame).kind}`);

// 2. Simulator: 30 simulated seconds of the built-in queue, files in a temp folder.
const dir = mkdtempSync(join(tmpdir(), 'bz-api-'));
try {
  const r = await runSimulation(loadScenario('queue'), { durationMs: 30_000, outDir: dir, report: false });
  console.log(`simulated ${r.stats.observations} observations`);

  // 3. Classifier on the simulated observations, 4. evaluated against the simulated truth.
  const obs = readCsvFile(join(dir, 'observations.csv'), observationReader(join(dir, 'observations.csv')));
  const { windows } = classifyAll(obs, { method: 'ours' });
  const labels = truthLabels(readCsvFile(join(dir, 'truth.csv'), truthReader(join(dir, 'truth.csv'))), DEFAULT_WINDOW_MS);
  const result = evaluateWindows('ours', windows, (w) => labels.label(windowKey(w.receiver, w.transmitter, w.windowStartMs)));
  console.log(`${windows.length} windows, AUC ${result.auc === null ? 'n/a' : result.auc.toFixed(3)}, F1 ${result.f1 === null ? 'n/a' : result.f1.toFixed(3)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
