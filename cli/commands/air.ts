// `bluezone air serve` / `bluezone air pty`: the virtual air for CI (docs/beacon.md "Virtual air").
import { Command, Option } from 'commander';
import type { AirModel } from '../../firmware/hci/airModel.ts';
// the HCI command table only (no imports of its own); the product modules load in the actions (--help stays fast)
import { COMMANDS, type CommandName } from '../../firmware/hci/constants.ts';
import type { BridgeKind } from '../../firmware/hci/ptyBridge.ts';
import { info, type CliContext } from '../context.ts';
import { ProblemError, UsageError } from '../errors.ts';

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--port: "${v}" is not a TCP port (0..65535)`);
  return n;
}

function parsePosition(v: string, prev: { address: string; x: number; y: number }[] = []) {
  const m = /^([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})=(-?[\d.]+),(-?[\d.]+)$/.exec(v);
  if (!m || !Number.isFinite(Number(m[2])) || !Number.isFinite(Number(m[3]))) {
    throw new UsageError(`--position: "${v}" is not ADDRESS=X,Y (metres)`, 'e.g. --position c0:ff:ee:00:00:02=3,0');
  }
  return [...prev, { address: m[1].toLowerCase(), x: Number(m[2]), y: Number(m[3]) }];
}

const NAMES = new Set<string>(COMMANDS.map(([n]) => n));
function parseInject(v: string, prev: { command: CommandName; status: number; count?: number }[] = []) {
  const m = /^(\w+)=(0x[0-9a-fA-F]{1,2}|\d{1,3})(?::(\d+))?$/.exec(v);
  if (!m || !NAMES.has(m[1]) || Number(m[2]) > 255) {
    throw new UsageError(`--inject: "${v}" is not COMMAND=STATUS[:COUNT] with a known command`, `e.g. --inject LeSetAdvertisingEnable=0x0c:1 (commands: ${[...NAMES].join(', ')})`);
  }
  return [...prev, { command: m[1] as CommandName, status: Number(m[2]), count: m[3] === undefined ? undefined : Number(m[3]) }];
}

/** Resolves with the first SIGINT/SIGTERM; `dispose` removes the listeners (error paths). */
function untilSignal(): Promise<string> & { dispose(): void } {
  let dispose = () => {};
  const p = new Promise<string>((res) => {
    const onInt = () => on('SIGINT');
    const onTerm = () => on('SIGTERM');
    dispose = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    const on = (sig: string) => {
      dispose();
      res(sig);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  return Object.assign(p, { dispose: () => dispose() });
}

export function registerAir(program: Command, ctx: CliContext): void {
  const air = program
    .command('air')
    .description('virtual BLE air: HCI controllers over TCP, pty bridges for bleno/noble')
    .addHelpText('after', `
Examples:
  $ npx bluezone air serve --port 7001
  $ npx bluezone air pty --port 7001 --link /tmp/bz-beacon.pty`);

  air
    .command('serve')
    .description('run the virtual air: one virtual HCI controller (H4 over TCP) per connection, until SIGINT/SIGTERM')
    .requiredOption('--port <port>', 'TCP port (0 = pick a free one; the line "listening HOST:PORT" tells which)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--rssi-model <model>', 'fixed:<dBm>, or channel[:env=lobby|office|outdoor|open,seed=1,tx=0,spacing=1]: the simulator\'s channel model (path loss, shadowing, fading; docs/radio-model.md)', 'fixed:-60')
    .option('--position <addr=x,y>', 'place a controller for the channel model (repeatable; controllers are c0:ff:ee:00:00:01, :02, ... in connection order)', parsePosition)
    .option('--seed <n>', 'seed of the 0-10 ms advDelay draw', '1')
    .option('--btsnoop <dir>', 'write each controller\'s HCI traffic to DIR/controller-<n>-<addr>.btsnoop (btmon -r, Wireshark)')
    .option('--inject <cmd=status[:count]>', 'make every controller fail the first COUNT uses of a command (default: all) with STATUS (repeatable), e.g. LeSetAdvertisingEnable=0x0c:2', parseInject)
    .option('--json', 'JSON lines on stdout: {"event":"listening","host","port","rssi_model"}, then {"event":"log","message"} per connection/fault')
    .addHelpText('after', `
Examples:
  $ npx bluezone air serve --port 7001
  $ npx bluezone air serve --port 0 --rssi-model channel:env=office --position c0:ff:ee:00:00:02=3,0 --btsnoop out/hci`)
    .action(async (o: { port: string; host: string; rssiModel: string; position?: { address: string; x: number; y: number }[]; seed: string; btsnoop?: string; inject?: { command: CommandName; status: number; count?: number }[]; json?: boolean }) => {
      const port = parsePort(o.port);
      const { parseAirModel } = await import('../../firmware/hci/airModel.ts');
      const { ChannelAirModel, parseChannelAirModel } = await import('../../sim/channel/airModel.ts');
      const { startVirtualAir } = await import('../../firmware/hci/server.ts');
      let model: AirModel;
      try {
        model = /^(channel|distance)(:|$)/.test(o.rssiModel) ? parseChannelAirModel(o.rssiModel) : parseAirModel(o.rssiModel);
      } catch (e) {
        throw new UsageError(`--rssi-model: ${(e as Error).message}`);
      }
      if (o.position?.length) {
        if (!(model instanceof ChannelAirModel)) throw new UsageError('--position needs --rssi-model channel');
        for (const p of o.position) model.setPosition(p.address, { x: p.x, y: p.y });
      }
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed: "${o.seed}" is not an integer`);
      // Listen for signals before printing "listening": a script may signal as soon as it reads the line.
      const stop = untilSignal();
      const line = (obj: Record<string, unknown>, text: string) => (o.json ? ctx.out.write(JSON.stringify(obj) + '\n') : info(ctx, text));
      let server;
      try {
        server = await startVirtualAir({
          port,
          host: o.host,
          rssiModel: model,
          seed,
          btsnoopDir: o.btsnoop,
          inject: o.inject,
          log: (l) => line({ event: 'log', message: l }, l),
        });
      } catch (e) {
        stop.dispose();
        throw new ProblemError(`cannot listen on ${o.host}:${port}: ${(e as Error).message}`, 'pick another --port, or 0 for a free one');
      }
      if (o.json) ctx.out.write(JSON.stringify({ event: 'listening', host: server.host, port: server.port, rssi_model: model.describe?.() ?? 'custom' }) + '\n');
      else ctx.out.write(`listening ${server.host}:${server.port}\n`);
      info(ctx, `rssi model ${model.describe?.() ?? 'custom'}; stop with Ctrl-C`);
      const sig = await stop;
      await server.close();
      info(ctx, `${sig}: stopped (${server.served} controller(s) served, ${server.air.stats.reports} report(s) delivered)`);
    });

  air
    .command('pty')
    .description('create a pseudo-terminal at PATH bridged to "air serve", for bleno/noble with hciDriver "uart"')
    .requiredOption('--port <port>', 'TCP port of "air serve"')
    .requiredOption('--link <path>', 'where to create the pty link (removed on exit)')
    .option('--host <host>', 'host of "air serve"', '127.0.0.1')
    .addOption(new Option('--bridge <kind>', 'relay to use').choices(['auto', 'python', 'socat']).default('auto'))
    .option('--json', 'print {"event":"ready","path":...} instead of "ready PATH"')
    .addHelpText('after', `
Examples:
  $ npx bluezone air pty --port 7001 --link /tmp/bz-beacon.pty
  $ BLUETOOTH_HCI_SOCKET_UART_PORT=/tmp/bz-beacon.pty node my-bleno-app.js`)
    .action(async (o: { port: string; link: string; host: string; bridge: BridgeKind | 'auto'; json?: boolean }) => {
      const port = parsePort(o.port);
      if (port === 0) throw new UsageError('--port: give the port "air serve" printed, not 0');
      const { LinkPathError, startPtyBridge } = await import('../../firmware/hci/ptyBridge.ts');
      const stop = untilSignal(); // before "ready": see serve
      let bridge;
      try {
        bridge = await startPtyBridge(port, o.link, { host: o.host, bridge: o.bridge });
      } catch (e) {
        stop.dispose();
        if (e instanceof LinkPathError) throw new UsageError(e.message, 'give a path in an existing directory, e.g. /tmp/bz-beacon.pty');
        throw new ProblemError(`pty bridge: ${(e as Error).message}`);
      }
      if (o.json) ctx.out.write(JSON.stringify({ event: 'ready', path: bridge.path, bridge: bridge.kind }) + '\n');
      else ctx.out.write(`ready ${bridge.path}\n`);
      const why = await Promise.race([stop, bridge.exited.then((c) => `exit:${c}`)]);
      await bridge.close();
      if (why.startsWith('exit:')) throw new ProblemError(`pty bridge (${bridge.kind}) exited (${why.slice(5)}); link ${bridge.path} removed`);
      info(ctx, `${why}: pty bridge stopped, link ${bridge.path} removed`);
    });
}
