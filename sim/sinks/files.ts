// The data files of a run (docs/interfaces.md "Simulator"): observations.csv (or .pb), truth.csv (same row
// order), contacts_truth.csv, devices.csv, ids.csv, summary.json, timing.json. Observations stream through.
import { join } from 'node:path';
import { bluezoneIdAt, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { toHex } from '../../firmware/protocol/hex.ts';
import { writeFileAtomic } from '../../records/atomicWrite.ts';
import { encodeDelimited, loadSchema } from '../../records/proto/index.ts';
import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER, csvField } from '../../records/rows.ts';
import type { ContactDay } from '../engine/truth.ts';
import type { RunStats } from '../types.ts';
import { KIND_NAMES, simBaseDate, simBaseKey } from '../world/devices.ts';
import { ByteSink, LineSink } from './lineSink.ts';

export interface FilesInit {
  seed: number;
  startMs: number;
  names: string[];
  kind: Uint8Array;
  models: string[];
  format: 'csv' | 'pb';
  /** Write ids.csv (one row per device and slot: runs up to DETAIL_MAX_DEVICES). */
  ids: boolean;
}

export class DataFiles {
  private obs?: LineSink;
  private obsPb?: ByteSink;
  private pbType?: ReturnType<typeof loadSchema>['Observation'];
  private truth!: LineSink;

  constructor(readonly dir: string, readonly init: FilesInit) {}

  private p(n: string): string {
    return join(this.dir, n);
  }

  open(): void {
    if (this.init.format === 'pb') {
      // length-delimited bluezone.v1.Observation messages (records/proto/bluezone.proto)
      this.pbType = loadSchema().Observation;
      this.obsPb = new ByteSink(this.p('observations.pb'));
    } else this.obs = new LineSink(this.p('observations.csv'), OBSERVATION_CSV_HEADER);
    this.truth = new LineSink(this.p('truth.csv'), TRUTH_CSV_HEADER);
  }

  /** distM as truth.csv holds it (rounded to 0.01 m). */
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    const { names, models } = this.init;
    if (this.obs) this.obs.line(`${tsMs},${csvField(names[rx])},${csvField(names[tx])},${rssi},,${csvField(models[rx])},${csvField(models[tx])}`);
    else this.obsPb!.write(encodeDelimited(this.pbType!, { timestampMs: tsMs, receiver: names[rx], transmitter: names[tx], rssi, receiverModel: models[rx], transmitterModel: models[tx] }));
    this.truth.line(`${tsMs},${csvField(names[rx])},${csvField(names[tx])},${distM.toFixed(2)}`);
  }

  /** Commits the streamed files; returns their paths. */
  closeStreams(): string[] {
    this.obs?.close();
    this.obsPb?.close();
    this.truth.close();
    return [this.p(this.obs ? 'observations.csv' : 'observations.pb'), this.p('truth.csv')];
  }

  /** contacts_truth.csv, devices.csv and (detail runs) ids.csv. */
  writeTables(contacts: ContactDay[], firstSeenMs: Float64Array, lastSeenMs: Float64Array): string[] {
    const files: string[] = [];
    const ct = new LineSink(this.p('contacts_truth.csv'), 'day,device_a,device_b,minutes_within_2m,close_contact');
    for (const c of contacts) ct.line(`${c.day},${csvField(c.a)},${csvField(c.b)},${c.minutes.toFixed(2)},${c.close ? 1 : 0}`);
    ct.close();
    files.push(this.p('contacts_truth.csv'));

    const { names, kind, models, seed, startMs } = this.init;
    const dv = new LineSink(this.p('devices.csv'), 'device,kind,model,first_seen_ms,last_seen_ms');
    for (let d = 0; d < names.length; d++) {
      const first = firstSeenMs[d];
      dv.line(`${csvField(names[d])},${KIND_NAMES[kind[d]]},${csvField(models[d])},${first < 0 ? '' : startMs + first},${first < 0 ? '' : startMs + lastSeenMs[d]}`);
    }
    dv.close();
    files.push(this.p('devices.csv'));

    if (this.init.ids) {
      // BluezoneID per device and 15-min slot while present (iOS IDs travel over GATT, bluezone-protocol.md 3)
      const ids = new LineSink(this.p('ids.csv'), 'device,slot_start_ms,slot_end_ms,bluezone_id');
      for (let d = 0; d < names.length; d++) {
        if (firstSeenMs[d] < 0) continue;
        const key = simBaseKey(seed, names[d]);
        const base = simBaseDate(seed, d, startMs);
        const a = startMs + firstSeenMs[d];
        const b = startMs + lastSeenMs[d];
        for (let s = Math.floor(a / SLOT_MS) * SLOT_MS; s < b; s += SLOT_MS) {
          const id = bluezoneIdAt(key, base, s);
          ids.line(`${csvField(names[d])},${id.startMs},${id.endMs},${toHex(id.id)}`);
        }
      }
      ids.close();
      files.push(this.p('ids.csv'));
    }
    return files;
  }

  /** summary.json (byte-identical for a seed) and timing.json (wall-clock figures). */
  writeSummary(summary: Record<string, unknown>, st: RunStats): string[] {
    writeFileAtomic(this.p('summary.json'), JSON.stringify(summary, null, 2) + '\n');
    const timing = { wall_ms: st.wallMs, sim_ms: st.simMs, real_time_factor: st.realTimeFactor, pairs_per_s: st.pairsPerSecond, kernel: st.kernel, kernel_fallback: st.kernelFallback ?? null };
    writeFileAtomic(this.p('timing.json'), JSON.stringify(timing, null, 2) + '\n');
    return [this.p('summary.json'), this.p('timing.json')];
  }
}
