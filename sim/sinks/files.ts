// The data files of a run (docs/interfaces.md "Simulator"): observations.csv (or .pb), truth.csv (same row
// order), contacts_truth.csv, devices.csv, ids.csv, summary.json, timing.json. Observations stream through.
// Every file is staged in the run's OutputSet by open(), before the simulation starts; the run commits.
import { join } from 'node:path';
import { bluezoneIdAt, SLOT_MS } from '../../firmware/protocol/keys.ts';
import { toHex } from '../../firmware/protocol/hex.ts';
import type { OutputSet, OutputWriter } from '../../records/output.ts';
import { encodeDelimited, loadSchema } from '../../records/proto/index.ts';
import { OBSERVATION_CSV_HEADER, TRUTH_CSV_HEADER, csvField } from '../../records/rows.ts';
import type { ContactDay } from '../engine/truth.ts';
import type { RunStats } from '../types.ts';
import { KIND_NAMES, simBaseDate, simBaseKey } from '../world/devices.ts';
import { ByteSink, LineSink } from './lineSink.ts';
import { RowBytes, type FieldTable } from './rowBytes.ts';

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

/** observations.csv and truth.csv, staged, for a consumer that writes their rows itself (the sinks worker). */
export interface RowFiles {
  obs: OutputWriter;
  truth: OutputWriter;
  /** Every device's name and model bytes as the rows hold them (RowBytes.fields). */
  names: FieldTable;
  models: FieldTable;
}

export class DataFiles {
  private obs?: LineSink;
  private obsPb?: ByteSink;
  private pbType?: ReturnType<typeof loadSchema>['Observation'];
  private truth!: LineSink;
  // the streamed rows, encoded into reused buffers (rowBytes.ts)
  private obsRows?: RowBytes;
  private truthRows!: RowBytes;
  /** Every device's name and model as the rows hold them (CSV). */
  private nameFields!: FieldTable;
  private modelFields?: FieldTable;
  private contactsOut!: OutputWriter;
  private devicesOut!: OutputWriter;
  private idsOut?: OutputWriter;
  private summaryOut!: OutputWriter;
  private timingOut!: OutputWriter;
  /** observations.csv's and truth.csv's rows are written elsewhere (handRowsOff: the sinks worker). */
  private rowsElsewhere = false;

  constructor(readonly dir: string, readonly init: FilesInit) {}

  private p(n: string): string {
    return join(this.dir, n);
  }

  /** Stages every data file of the run in `set` (the first one creates the folder). */
  open(set: OutputSet): void {
    if (this.init.format === 'pb') {
      // length-delimited bluezone.v1.Observation messages (records/proto/bluezone.proto)
      this.pbType = loadSchema().Observation;
      this.obsPb = new ByteSink(set.add(this.p('observations.pb'), { mkdir: true }));
    } else this.obs = new LineSink(set.add(this.p('observations.csv'), { mkdir: true }), OBSERVATION_CSV_HEADER);
    this.truth = new LineSink(set.add(this.p('truth.csv')), TRUTH_CSV_HEADER);
    this.nameFields = RowBytes.fields(this.init.names);
    if (this.obs) this.obsRows = new RowBytes(this.obs.out, this.nameFields, (this.modelFields = RowBytes.fields(this.init.models)));
    this.truthRows = new RowBytes(this.truth.out, this.nameFields);
    this.contactsOut = set.add(this.p('contacts_truth.csv'));
    this.devicesOut = set.add(this.p('devices.csv'));
    if (this.init.ids) this.idsOut = set.add(this.p('ids.csv'));
    this.summaryOut = set.add(this.p('summary.json'));
    this.timingOut = set.add(this.p('timing.json'));
  }

  /**
   * Hands the rows of observations.csv and truth.csv to a writer elsewhere (the sinks worker writes them
   * straight into the staged temp files, parallel/sinkPipe.ts): only for CSV into staged files; the
   * headers go out first, and this object writes no row after. Null when it cannot.
   */
  handRowsOff(): RowFiles | null {
    if (!this.obs || this.obs.out.kind !== 'atomic' || this.truth.out.kind !== 'atomic') return null;
    this.obs.out.flush();
    this.truth.out.flush();
    this.rowsElsewhere = true;
    return { obs: this.obs.out, truth: this.truth.out, names: this.nameFields, models: this.modelFields! };
  }

  /** distM as truth.csv holds it (rounded to 0.01 m). */
  observation(tsMs: number, rx: number, tx: number, rssi: number, distM: number): void {
    if (this.rowsElsewhere) return;
    if (this.obsRows) this.obsRows.observation(tsMs, rx, tx, rssi);
    else {
      const { names, models } = this.init;
      this.obsPb!.write(encodeDelimited(this.pbType!, { timestampMs: tsMs, receiver: names[rx], transmitter: names[tx], rssi, receiverModel: models[rx], transmitterModel: models[tx] }));
    }
    this.truthRows.truth(tsMs, rx, tx, distM);
  }

  /** The streamed files' paths (the run's set publishes them). */
  closeStreams(): string[] {
    this.obsRows?.flush();
    this.truthRows.flush();
    return [this.p(this.obs ? 'observations.csv' : 'observations.pb'), this.p('truth.csv')];
  }

  /** contacts_truth.csv, devices.csv and (detail runs) ids.csv. */
  writeTables(contacts: ContactDay[], firstSeenMs: Float64Array, lastSeenMs: Float64Array): string[] {
    const files: string[] = [];
    const ct = new LineSink(this.contactsOut, 'day,device_a,device_b,minutes_within_2m,close_contact');
    for (const c of contacts) ct.line(`${c.day},${csvField(c.a)},${csvField(c.b)},${c.minutes.toFixed(2)},${c.close ? 1 : 0}`);
    files.push(this.p('contacts_truth.csv'));

    const { names, kind, models, seed, startMs } = this.init;
    const dv = new LineSink(this.devicesOut, 'device,kind,model,first_seen_ms,last_seen_ms');
    for (let d = 0; d < names.length; d++) {
      const first = firstSeenMs[d];
      dv.line(`${csvField(names[d])},${KIND_NAMES[kind[d]]},${csvField(models[d])},${first < 0 ? '' : startMs + first},${first < 0 ? '' : startMs + lastSeenMs[d]}`);
    }
    files.push(this.p('devices.csv'));

    if (this.idsOut) {
      // BluezoneID per device and 15-min slot while present (iOS IDs travel over GATT, bluezone-protocol.md 3)
      const ids = new LineSink(this.idsOut, 'device,slot_start_ms,slot_end_ms,bluezone_id');
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
      files.push(this.p('ids.csv'));
    }
    return files;
  }

  /** summary.json (byte-identical for a seed) and timing.json (wall-clock figures). */
  writeSummary(summary: Record<string, unknown>, st: RunStats): string[] {
    this.summaryOut.write(JSON.stringify(summary, null, 2) + '\n');
    const timing = { wall_ms: st.wallMs, sim_ms: st.simMs, real_time_factor: st.realTimeFactor, pairs_per_s: st.pairsPerSecond, kernel: st.kernel, kernel_fallback: st.kernelFallback ?? null };
    this.timingOut.write(JSON.stringify(timing, null, 2) + '\n');
    return [this.p('summary.json'), this.p('timing.json')];
  }
}
