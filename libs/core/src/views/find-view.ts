import { viewNotFoundError } from '../errors';
import type { ViewDefinition } from './view';

/** The view named `name`; throws TRB_VIEW_NOT_FOUND (404) naming the known views otherwise. */
export function findView(views: readonly ViewDefinition[], name: string): ViewDefinition {
  const view = views.find((v) => v.name === name);
  if (view === undefined) throw viewNotFoundError(name, views.map((v) => v.name));
  return view;
}
