/** Thrown at start when the environment holds a bad value; the message names every bad variable. */
export class ConfigError extends Error {
  readonly code = 'TRB_CONFIG_INVALID';
  readonly retriable = false;

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
