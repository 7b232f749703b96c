import { describe, expect, it } from 'vitest';
import { errorCatalogue, QueryError, StateError, TributaryError, ViewsConfigError, viewNotFoundError } from './errors';

describe('error catalogue', () => {
  it('uses TRB_<AREA>_<WHAT> codes with a status and a retriable flag', () => {
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^TRB_[A-Z]+_[A-Z_]+$/);
      expect(spec.statusCode).toBeGreaterThanOrEqual(400);
      expect(typeof spec.retriable).toBe('boolean');
    }
  });

  it('keeps the cause and the catalogue values', () => {
    const cause = new Error('root');
    const e = new TributaryError('TRB_EVENT_INVALID', 'id: is required', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'TributaryError', code: 'TRB_EVENT_INVALID', statusCode: 400, retriable: false, message: 'id: is required' });
    expect(e.cause).toBe(cause);
    expect(new TributaryError('TRB_EVENT_MALFORMED', 'x').cause).toBeUndefined();
  });

  it('has one class per area', () => {
    const views = new ViewsConfigError('v.yaml', ['v.yaml: a', 'v.yaml: b']);
    expect(views.message).toBe('Invalid views file v.yaml:\n  - v.yaml: a\n  - v.yaml: b');
    expect(views).toMatchObject({ name: 'ViewsConfigError', code: 'TRB_VIEWS_INVALID', problems: ['v.yaml: a', 'v.yaml: b'] });
    expect(new QueryError('TRB_QUERY_INVALID_FILTER', 'f')).toMatchObject({ name: 'QueryError', statusCode: 400 });
    expect(new StateError('s')).toMatchObject({ name: 'StateError', code: 'TRB_STATE_INVALID', statusCode: 500 });
    expect(viewNotFoundError('x', ['a'])).toMatchObject({ code: 'TRB_VIEW_NOT_FOUND', statusCode: 404, message: 'View "x" does not exist; known views: "a"' });
  });
});
