import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Lints made-up files placed in real projects, with the repository's own eslint.config.mjs and
// Nx project graph, to prove the boundaries of STYLE.md are enforced rather than documented.
const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('module boundaries', () => {
  it('rejects a core file importing an adapter', async () => {
    const ids = await ruleIds('libs/core/src/probe.ts', "import { x } from '@tributary/adapter-redis';\nexport const y = x;\n");
    expect(ids).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects a core file importing an app, by package name or by path', async () => {
    const byName = await ruleIds('libs/core/src/probe.ts', "import { x } from '@tributary/serving-api';\nexport const y = x;\n");
    expect(byName).toContain('no-restricted-imports');
    const byPath = await ruleIds('libs/core/src/probe.ts', "import { buildApp } from '../../../apps/serving-api/src/app';\nexport const y = buildApp;\n");
    expect(byPath).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects Node built-ins in core', async () => {
    const ids = await ruleIds('libs/core/src/probe.ts', "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n");
    expect(ids).toContain('no-restricted-imports');
  });

  it('rejects a util library importing an adapter (tags)', async () => {
    const ids = await ruleIds('libs/config/src/probe.ts', "import { x } from '@tributary/adapter-lake';\nexport const y = x;\n");
    expect(ids).toContain('@nx/enforce-module-boundaries');
  });

  it('accepts an app importing an adapter and core', async () => {
    const ids = await ruleIds(
      'apps/speed-layer/src/probe.ts',
      "import { x } from '@tributary/adapter-redis';\nimport * as core from '@tributary/core';\nexport const y = [x, core];\n",
    );
    expect(ids).toEqual([]);
  });
});
