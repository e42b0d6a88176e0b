// The simulator's channel model as the virtual air's RSSI model (firmware/hci/airModel.ts AirModel), so the
// air, the simulator and the fit use one physics: log-distance path loss with a near/far break, per-pair
// offset, shadowing per epoch, Rician fading per packet (radio-model.md 3.2), computed by the same TS
// reception kernel the simulator's tests use as their oracle. Deterministic: every draw is a hash of
// (seed, pair, epoch, packet count), so a seeded air gives the same RSSI sequence every run.
import type { AirModel, ControllerInfo, Position } from '../../firmware/hci/airModel.ts';
import { allocBatch, pairIdOf } from '../kernel/types.ts';
import { evaluateTs } from '../kernel/tsKernel.ts';
import { channelParamsFor, ENVIRONMENTS, type ChannelParams } from './params.ts';

export interface ChannelAirOptions {
  /** Environment preset (sim/channel/params.ts ENVIRONMENTS), default 'lobby'. */
  environment?: string;
  seed?: number;
  /** TX power of every controller on the simulator's (iPhone) scale, dBm; default 0 (a Pi beacon). */
  txPowerDbm?: number;
  /** Controllers without a set position stand on the x axis, this far apart in attach order (m). */
  spacingM?: number;
}

export class ChannelAirModel implements AirModel {
  readonly params: ChannelParams;
  readonly txPowerDbm: number;
  readonly spacingM: number;
  private readonly positions = new Map<string, Position>();
  private readonly sent = new Map<number, number>();
  private readonly batch = allocBatch(1);
  private readonly out = new Float32Array(1);

  constructor(o: ChannelAirOptions = {}) {
    this.params = channelParamsFor(o.environment ?? 'lobby', { seed: (o.seed ?? 1) >>> 0 });
    this.txPowerDbm = o.txPowerDbm ?? 0;
    this.spacingM = o.spacingM ?? 1;
  }

  setPosition(address: string, p: Position): void {
    this.positions.set(address.toLowerCase(), p);
  }

  positionOf(c: ControllerInfo): Position {
    return this.positions.get(c.address) ?? this.positions.get(c.publicAddress) ?? { x: c.index * this.spacingM, y: 0 };
  }

  rssi(tx: ControllerInfo, rx: ControllerInfo, nowMs: number): number | null {
    const a = this.positionOf(tx);
    const b = this.positionOf(rx);
    const pair = pairIdOf(tx.index, rx.index);
    // the k-th PDU of this pair: a new fading draw per packet, rotating over the three advertising channels
    const k = this.sent.get(pair) ?? 0;
    this.sent.set(pair, k + 1);
    const bt = this.batch;
    bt.n = 1;
    bt.distM[0] = Math.hypot(a.x - b.x, a.y - b.y, (a.z ?? 0) - (b.z ?? 0));
    bt.txPowerDbm[0] = this.txPowerDbm;
    bt.staticLossDb[0] = 0;
    bt.pairId[0] = pair;
    bt.epoch[0] = Math.floor(nowMs / this.params.shadowEpochMs);
    bt.eventId[0] = Math.floor(k / 3);
    bt.channel[0] = 37 + (k % 3);
    evaluateTs(bt, this.params, this.out);
    const p = this.out[0];
    return p < this.params.sensitivityDbm ? null : p;
  }

  describe(): string {
    const p = this.params;
    return `channel:n=${p.exponent},shadow=${p.shadowSigmaDb}dB,K=${p.ricianK},tx=${this.txPowerDbm},seed=${p.seed}`;
  }
}

/**
 * "channel" or "channel:env=office,seed=1,tx=-8,spacing=2" (also the older spelling "distance[:...]").
 * Throws RangeError naming the bad part.
 */
export function parseChannelAirModel(spec: string): ChannelAirModel {
  const [kind, rest = ''] = spec.split(/:(.*)/s);
  if (kind !== 'channel' && kind !== 'distance') throw new RangeError(`rssi model "${spec}": not a channel model`);
  const o: ChannelAirOptions = {};
  for (const part of rest.split(',').filter((s) => s.trim() !== '')) {
    const [k, v] = part.split('=').map((s) => s?.trim());
    if (k === 'env' && v && v in ENVIRONMENTS) o.environment = v;
    else if ((k === 'seed' || k === 'tx' || k === 'spacing') && v !== undefined && v !== '' && Number.isFinite(Number(v))) {
      if (k === 'seed') o.seed = Number(v);
      else if (k === 'tx') o.txPowerDbm = Number(v);
      else o.spacingM = Number(v);
    } else {
      throw new RangeError(`rssi model "${spec}": bad parameter "${part}" (known: env=${Object.keys(ENVIRONMENTS).join('|')}, seed, tx, spacing; e.g. channel:env=office,seed=2)`);
    }
  }
  return new ChannelAirModel(o);
}
