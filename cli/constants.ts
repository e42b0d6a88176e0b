// Constants that option definitions (choices, defaults) need at registration. Copies of product
// constants, so that `bluezone --help` does not load the product modules that define them (issue 16);
// test/cli/constants.test.ts checks each equals its source.
import type { Method } from '../firmware/proximity/classifier.ts';

/** The classifier methods: METHODS of firmware/proximity/classifier.ts. */
export const METHODS: readonly Method[] = ['ours', 'gaen', 'bluezone'];
