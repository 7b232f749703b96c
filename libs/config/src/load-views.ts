import { parseViews, type ViewDefinition } from '@tributary/core';
import { readFileSync } from 'node:fs';

/**
 * Reads and validates the views file named by VIEWS_FILE. Throws with a message naming the file,
 * the view and the field (core's ViewsConfigError), or saying the file cannot be read.
 */
export function loadViewsFile(path: string): readonly ViewDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`VIEWS_FILE=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): point VIEWS_FILE at a YAML or JSON views file`, { cause: err });
  }
  return Object.freeze(parseViews(text, path));
}
