/** What a command needs to reach the infrastructure: exactly the variables the apps read. */
export interface InfraEnv {
  readonly KAFKA_BROKERS: string;
  readonly REDIS_URL: string;
}

/** `export KAFKA_BROKERS=… REDIS_URL=…`, ready for `eval "$(…)"` (values are shell-quoted when needed). */
export const renderExportLine = (env: InfraEnv): string => {
  const quote = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);
  return `export KAFKA_BROKERS=${quote(env.KAFKA_BROKERS)} REDIS_URL=${quote(env.REDIS_URL)}`;
};

/** A variable counts as set when it is non-blank. */
export const givenValue = (value: string | undefined): string | null =>
  value === undefined || value.trim() === '' ? null : value.trim();
