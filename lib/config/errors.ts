/** A config that cannot be used. The message names the file and, from YAML, the line and the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid lifecycle config ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}
