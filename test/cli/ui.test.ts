import { describe, expect, it } from 'vitest';
import { colorEnabled, colors, formatDuration, formatTable, ui } from '../../cli/ui.ts';

describe('colours', () => {
  it('are on only on a terminal by default', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
  });
  it('respect NO_COLOR and FORCE_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
  it('wrap text in SGR escapes only when enabled', () => {
    expect(colors(true).red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(colors(false).red('x')).toBe('x');
    expect(ui({ isTTY: false }, {}).bold('y')).toBe('y');
  });
});

describe('formatTable', () => {
  it('aligns text left and numbers right under a header', () => {
    const t = formatTable(
      [
        ['ours', 0.9312, 12],
        ['gaen', 0.8, 3],
      ],
      { head: ['method', 'auc', 'n'] },
    );
    expect(t).toBe(
      ['method    auc   n', '------  -----  --', 'ours    0.931  12', 'gaen    0.800   3', ''].join('\n'),
    );
  });
  it('measures width without colour escapes', () => {
    const c = colors(true);
    const t = formatTable([[c.green('ok'), 1]], { head: ['state', 'n'] });
    expect(t.split('\n')[2]).toBe(`${c.green('ok')}     1`);
  });
  it('returns an empty string for no rows and no header', () => {
    expect(formatTable([])).toBe('');
  });
});

describe('formatDuration', () => {
  it('reads naturally', () => {
    expect(formatDuration(400)).toBe('0.4s');
    expect(formatDuration(12_000)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatDuration(NaN)).toBe('?');
  });
});
