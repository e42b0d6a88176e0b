// The sim run page's samples (sim/sinks/reportSink.ts) rendered through the real renderer: which pairs the
// page shows and why, large runs (above the per-device detail limit) included, and the people count.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OutputSet } from '../../records/output.ts';
import { channelParamsFor } from '../../sim/channel/params.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import type { LabelledWindow } from '../../sim/sinks/evaluation.ts';
import { ReportObservations } from '../../sim/sinks/reportObs.ts';
import { ReportSamples } from '../../sim/sinks/reportSink.ts';
import type { RunStats } from '../../sim/types.ts';
import { KIND_ANDROID, KIND_BEACON } from '../../sim/world/devices.ts';

const tmp = mkdtempSync(join(tmpdir(), 'bz-report-sink-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const START = Date.parse('2026-03-02T10:00:00Z');
// phones a, b, c (people 0-2) and a beacon (no person)
const names = ['a', 'b', 'c', 'beacon-1'];
const kind = Uint8Array.from([KIND_ANDROID, KIND_ANDROID, KIND_ANDROID, KIND_BEACON]);
const person = Int32Array.from([0, 1, 2, -1]);

const stats = {
  pairEvaluations: 10, advEvents: 10, receptions: 10, lostBelowSensitivity: 0, lostCollision: 0, lostHalfDuplex: 0,
  observations: 10, kernel: 'ts', devices: { android: 3, ios: 0, beacon: 1, people: 5 },
} as unknown as RunStats;

/** A run's page samples: the per-tick ones (ReportSamples) and the observation-fed ones (ReportObservations, run by the sinks worker). */
class Samples extends ReportSamples {
  readonly obs = new ReportObservations(this.init);
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    this.obs.observation(tsMs, rx, tx, rssi, distM);
  }
}

async function page(samples: Samples, labelled: LabelledWindow[], name: string): Promise<string> {
  const dir = join(tmp, name);
  const set = new OutputSet();
  const html = set.add(join(dir, 'report.html'), { mkdir: true });
  await samples.render(dir, set, html, stats, channelParamsFor('lobby'), [], samples.obs.result(labelled));
  set.commit();
  return readFileSync(join(dir, 'report.html'), 'utf8');
}

function run(detail: boolean, durationMs = 30 * 60_000): Samples {
  const s = new Samples(loadScenario('lobby'), { seed: 1, startMs: START, durationMs, names, kind, person, detail });
  const x = new Float32Array(4);
  const y = new Float32Array(4);
  // a and b present; c never arrives (scheduled, not present)
  s.onTick(0, x, y, Uint8Array.from([1, 1, 0, 1]), 4);
  s.onTick(1000, x, y, Uint8Array.from([1, 1, 0, 1]), 4);
  for (let i = 0; i < 600; i++) {
    const t = START + i * 3000;
    // the beacon is heard most: the old page showed beacon pairs first
    s.observation(t, 0, 3, -60, 5);
    s.observation(t + 1, 1, 3, -62, 6);
    if (i % 3 === 0) s.observation(t + 2, 0, 1, -55, 0.8); // a hears b, close
    if (i % 5 === 0) s.observation(t + 3, 2, 0, -95, 1.5); // c hears a, close but quiet
    if (i % 7 === 0) s.observation(t + 4, 1, 2, -58, 9); // b hears c, far but loud
  }
  return s;
}

const labelled: LabelledWindow[] = [
  { receiver: 'a', transmitter: 'b', windowStartMs: START, contact: true, truth: true },
  { receiver: 'a', transmitter: 'b', windowStartMs: START + 900_000, contact: true, truth: true },
  { receiver: 'c', transmitter: 'a', windowStartMs: START, contact: false, truth: true },
  { receiver: 'b', transmitter: 'c', windowStartMs: START, contact: true, truth: false },
  { receiver: 'a', transmitter: 'beacon-1', windowStartMs: START, contact: true, truth: false },
];

const titles = (html: string) => [...html.matchAll(/<text[^>]*font-weight="bold"[^>]*>([^<]* hears [^<]*)<\/text>/g)].map((m) => m[1]);

describe('sim run page: selected pairs', () => {
  it('picks phone pairs by closest true contact, worst miss and false alarm, and says why; never the beacon', async () => {
    const html = await page(run(true), labelled, 'pick');
    expect(titles(html)).toEqual(['a hears b', 'c hears a', 'b hears c']);
    expect(html).toContain('closest true contact: 2 windows within 2 m, ours detected 2 of 2; closest 0.8 m, mean 0.8 m');
    expect(html).toContain('worst miss: 1 window truly within 2 m that ours called no contact; mean distance 1.5 m');
    expect(html).toContain('false alarm: ours called 1 window contact, truth not within 2 m; closest 9.0 m, mean 9.0 m');
    expect(html).not.toMatch(/hears beacon-1/);
  });

  it('a run above the detail limit (city-block: 10 000 phones) still shows its pairs, on clock time', async () => {
    // before: pairs were kept only for runs up to 5000 devices: "No pair received any advertisement"
    const html = await page(run(false), labelled, 'large');
    expect(html).not.toContain('No pair received any advertisement');
    expect(html).toContain('data-plot="pairs"');
    expect(titles(html)).toEqual(['a hears b', 'c hears a', 'b hears c']);
    expect(html).toContain('True contact intervals are kept for runs of up to 5,000 devices');
  });

  it('without contact windows the phone pairs heard most are shown, saying so; beacons only with no phone pair', async () => {
    const html = await page(run(true), [], 'none');
    expect(titles(html)[0]).toBe('a hears b');
    expect(html).toContain('phone pair with the most receptions (200); no contact window to pick by');
    const only = new Samples(loadScenario('lobby'), { seed: 1, startMs: START, durationMs: 60_000, names, kind, person, detail: true });
    only.observation(START, 0, 3, -60, 5);
    const h2 = await page(only, [], 'beacon-only');
    expect(titles(h2)).toEqual(['a hears beacon-1']);
    expect(h2).toContain('no phone pair was heard: beacon pair with the most receptions (1)');
  });

  it('a pair with more receptions than the plot holds is binned to the end of the run, and says so', async () => {
    const s = new Samples(loadScenario('lobby'), { seed: 1, startMs: START, durationMs: 3600_000, names, kind, person, detail: true });
    // 250 000 receptions over the hour (before: the page kept the first 200 000 and the plot stopped at 48 min)
    const n = 250_000;
    for (let i = 0; i < n; i++) s.observation(START + Math.floor((i * 3600_000) / n), 0, 1, -60 - (i % 5), 1);
    const html = await page(s, [], 'binned');
    expect(html).toContain('binned to 10 s: dot = mean RSSI, bar = min–max; 250,000 receptions in 360 bins');
    // the last bin (10:59:50-11:00:00) is drawn
    const last = [...html.matchAll(/time \(UTC\): ([\d:]+); RSSI \(dBm\): [^;]+; receptions: (\d+)/g)].at(-1)!;
    expect(last.slice(1)).toEqual(['10:59', '694']);
  });
});

describe('sim run page: people', () => {
  it('says present of scheduled', async () => {
    const html = await page(run(true), labelled, 'people');
    expect(html).toContain('<dt>people</dt><dd>2 present of 5 scheduled');
  });
});

describe('sim run page: compiling the plots', () => {
  it('prints no vega-lite warning (a sim run writes them to stderr): the contact timeline x2 was untyped', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const s = run(true);
      s.onTruthPair(0, 1, 4, 0, 60_000);
      s.endTruthTick(120_000, 4);
      await page(s, labelled, 'warnings');
      expect(warn.mock.calls.map((c) => String(c[0]).slice(0, 120))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });
});
