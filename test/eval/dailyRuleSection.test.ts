import { describe, expect, it } from 'vitest';
import { dailyRuleRows, evaluateDailyRule } from '../../eval/dailyRule.ts';
import { dailyRuleSection } from '../../report/dailyRule.ts';

describe('report: the 15-minute rule section', () => {
  it('has the confusion table with the all-contact floor and pairs ranked by true minutes', () => {
    const day = Date.UTC(2026, 2, 2);
    const rows = dailyRuleRows(
      [{ a: 'p<1>', b: 'q', dayStartMs: day, minutes: 40 }, { a: 'r', b: 's', dayStartMs: day, minutes: 3 }, { a: 't', b: 'u', dayStartMs: day, minutes: 20 }],
      [{ method: 'ours', daily: [{ receiver: 'q', transmitter: 'p<1>', dayStartMs: day, minutesWithin2m: 31 }] }],
    );
    const s = dailyRuleSection([evaluateDailyRule('ours', rows)], rows, { maxPairs: 2 });
    expect(s.id).toBe('daily-rule');
    expect(s.title).toBe('15-minute rule per pair and day');
    expect(s.html).toMatch(/all_contact_f1/);
    expect(s.html).toMatch(/top 2 of 3/);
    // ranked: 40 then 20 min; the 3-minute pair is cut; names are escaped
    const i40 = s.html!.indexOf('p&lt;1&gt; / q');
    const i20 = s.html!.indexOf('t / u');
    expect(i40).toBeGreaterThan(0);
    expect(i20).toBeGreaterThan(i40);
    expect(s.html).not.toMatch(/r \/ s/);
    expect(s.html).toMatch(/31\.0/);
  });
});
