/**
 * Bad input or set-up the operator can fix (config file, state dir permissions, arguments).
 * The CLI turns it into exit code 2 with `hint` on its own line. firmware/ does not import cli/.
 */
export class BeaconInputError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'BeaconInputError';
  }
}
