import { Type, type Static, type TProperties, type TObject } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigError } from './config-error';
import { envFields, type EnvFieldName } from './env-fields';

export type Env = Readonly<Record<string, string | undefined>>;

/** Picks the named variables from the environment into one schema. */
export function envSchema<const K extends EnvFieldName>(names: readonly K[]) {
  const properties = Object.fromEntries(names.map((n) => [n, envFields[n]])) as {
    [P in K]: (typeof envFields)[P];
  };
  return Type.Object(properties);
}

/**
 * Reads the variables a schema names from `env`, applies defaults, converts numbers, validates
 * and freezes. Every bad variable is reported at once, by name, with what it should be.
 */
export function loadEnv<T extends TProperties>(schema: TObject<T>, env: Env): Readonly<Static<TObject<T>>> {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') picked[name] = raw.trim();
  }
  const value = Value.Convert(schema, Value.Default(schema, picked));
  if (!Value.Check(schema, value)) {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const error of Value.Errors(schema, value)) {
      const name = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
      if (!name || seen.has(name)) continue;
      seen.add(name);
      const field = schema.properties[name] as { description?: string } | undefined;
      problems.push(`${name}=${JSON.stringify(picked[name])} is invalid: expected ${field?.description ?? error.message}`);
    }
    throw new ConfigError(problems);
  }
  return Object.freeze(value) as Readonly<Static<TObject<T>>>;
}
