// cli/constants.ts copies product constants so that --help stays light (issue 16): they must not drift.
import { describe, expect, it } from 'vitest';
import * as copies from '../../cli/constants.ts';
import { METHODS } from '../../firmware/proximity/classifier.ts';

describe('cli/constants.ts', () => {
  it('METHODS equals the classifier\'s', () => {
    expect(copies.METHODS).toEqual(METHODS);
  });
});
