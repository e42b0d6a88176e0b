import { readFileSync } from 'node:fs';
import { spawnCli } from '../helpers/cli.ts';
// CLI manners across every command (shared/docs/interfaces.md "Running it"): a description and an example
// in each --help, --json wherever a command prints data, one-line errors with a hint, exit codes 0/1/2.
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { registrars } from '../../cli/commands/index.ts';
import { buildProgram, main } from '../../cli/main.ts';
import { ProblemError, UsageError } from '../../cli/errors.ts';

/** Commands that print no data, so need no --json; each with the reason. Keep it short. */
const NO_DATA: Record<string, string> = {
  'beacon start': 'foreground daemon: logs on stderr, state in status.json (read it with `beacon status --json`)',
  'beacon install-service': 'prints or writes a systemd unit file, a text format by nature',
  worker: 'foreground queue worker: logs on stderr, its results go to Redis (the coordinator, `sim sweep --queue`, writes the table)',
};

function sink() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c) => (text += String(c)));
  return { s, text: () => text };
}

async function run(args: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(['node', 'bluezone', ...args], { out: out.s, err: err.s, isTTY: false });
  return { code, out: out.text(), err: err.text() };
}

function allCommands(): Array<{ path: string[]; cmd: Command }> {
  const o = sink();
  const program = buildProgram({ out: o.s, err: o.s, isTTY: false, quiet: false, verbose: false });
  const list: Array<{ path: string[]; cmd: Command }> = [{ path: [], cmd: program }];
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      list.push({ path: [...path, sub.name()], cmd: sub });
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return list;
}

const commands = allCommands();
const leaves = commands.filter((c) => c.cmd.commands.length === 0 && c.path.length > 0);

describe('every command', () => {
  it('--version prints the package version and nothing else (issue 16)', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await spawnCli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.stderr).toBe('');
  });

  it('is found by walking the program', () => {
    expect(commands.length).toBeGreaterThan(1);
  });

  it.each(commands.map((c) => [c.path.join(' ') || '(root)', c] as const))(
    '%s: has a description and an example of itself in --help',
    async (_name, { path, cmd }) => {
      expect(cmd.description().trim(), `\`bluezone ${path.join(' ')}\` needs .description(...)`).not.toBe('');
      const r = await run([...path, '--help']);
      expect(r.code).toBe(0);
      const prefix = ['$ npx bluezone', ...path].join(' ');
      const examples = r.out.split('\n').filter((l) => l.trim().startsWith('$ npx bluezone'));
      expect(
        examples.some((l) => l.trim().startsWith(prefix)),
        `\`bluezone ${path.join(' ')} --help\` needs an example line "${prefix} ..." (addHelpText('after', '\\nExamples:\\n  ${prefix} ...'))`,
      ).toBe(true);
      for (const opt of cmd.options) expect(opt.description, `option ${opt.flags} of \`${path.join(' ')}\` needs a description`).not.toBe('');
    },
  );

  it.each(leaves.map((c) => [c.path.join(' '), c] as const))('%s: has --json, or is allow-listed as printing no data', (name, { cmd }) => {
    const hasJson = cmd.options.some((o) => o.long === '--json');
    if (name in NO_DATA) return;
    expect(hasJson, `\`bluezone ${name}\` prints data, so it needs --json (or add it to NO_DATA with the reason)`).toBe(true);
  });

  it('allow-list names only real commands', () => {
    const names = new Set(leaves.map((c) => c.path.join(' ')));
    for (const name of Object.keys(NO_DATA)) {
      if (!names.has(name)) continue; // its owner may not have registered it yet
      expect(leaves.find((c) => c.path.join(' ') === name)!.cmd.options.some((o) => o.long === '--json'), `${name} has --json: drop it from NO_DATA`).toBe(false);
    }
  });
});

describe('errors', () => {
  const added: number[] = [];
  afterEach(() => {
    for (const i of added.reverse()) registrars.splice(i, 1);
    added.length = 0;
  });
  // A throw-away command to provoke each kind of failure through the real main().
  function addFailing() {
    added.push(registrars.length);
    registrars.push((program) => {
      program
        .command('zz-fail')
        .description('test only')
        .argument('<kind>')
        .action((kind: string) => {
          if (kind === 'usage') throw new UsageError('--slot: 96 is out of range 0..95', 'slots are 15-minute quarters of a UTC day');
          if (kind === 'problem') throw new ProblemError('self-check failed: 2 of 5 checks');
          throw new TypeError('cannot read properties of undefined');
        });
    });
  }

  it('unknown command or option: exit 2, one error line and a hint', async () => {
    for (const args of [['no-such-command'], ['--no-such-option']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      const lines = r.err.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^error: /);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('hint: see `npx bluezone --help`');
      expect(r.out).toBe('');
    }
  });

  it('a usage error in a subcommand points to that subcommand\'s help', async () => {
    const leaf = leaves.find((c) => c.path.length >= 2)!;
    const r = await run([...leaf.path, '--no-such-option']);
    expect(r.code).toBe(2);
    // Commander may first report a missing required option; either way one error line and the hint.
    expect(r.err).toMatch(/^error: (unknown option '--no-such-option'|required option .* not specified)\n/);
    expect(r.err.split('\n')[1]).toBe(`hint: see \`npx bluezone ${leaf.path.join(' ')} --help\``);
    expect(r.err.trimEnd().split('\n')).toHaveLength(2);
  });

  it('UsageError: exit 2, "error:" and "hint:" lines, no stack', async () => {
    addFailing();
    const r = await run(['zz-fail', 'usage']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('error: --slot: 96 is out of range 0..95\nhint: slots are 15-minute quarters of a UTC day\n');
  });

  it('ProblemError: exit 1', async () => {
    addFailing();
    const r = await run(['zz-fail', 'problem']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: self-check failed: 2 of 5 checks\n');
  });

  it('unexpected error: one line and a hint to use --verbose; the stack only with --verbose', async () => {
    addFailing();
    const quiet = await run(['zz-fail', 'bug']);
    expect(quiet.code).toBe(1);
    expect(quiet.err).toBe('error: cannot read properties of undefined\nhint: run again with --verbose for the stack trace\n');
    for (const flag of ['--verbose', '-v']) {
      const loud = await run([flag, 'zz-fail', 'bug']);
      expect(loud.code).toBe(1);
      expect(loud.err).toMatch(/^error: cannot read properties of undefined\nTypeError: [^\n]+\n\s+at /);
    }
  });
});
