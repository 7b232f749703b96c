import nx from '@nx/eslint-plugin';

const noAppImports = {
  group: ['@tributary/speed-layer', '@tributary/batch-layer', '@tributary/serving-api', '@tributary/tools'],
  message: 'Apps and tools are not libraries: move what you need into a lib under libs/.',
};
const noNodeBuiltins = [
  { group: ['node:*'], message: 'libs/core is pure: no Node built-ins (do I/O in libs/adapters).' },
  {
    group: ['fs', 'fs/*', 'path', 'crypto', 'net', 'http', 'https', 'child_process', 'os', 'stream', 'worker_threads'],
    message: 'libs/core is pure: no Node built-ins (do I/O in libs/adapters).',
  },
];

/**
 * One flat config for every project. Module boundaries follow the project tags:
 *   type:core    -> nothing but core (pure: no I/O, no node: imports)
 *   type:util    -> core, util
 *   type:adapter -> core, util
 *   type:app     -> core, util, adapter
 *   type:e2e     -> core, util, adapter and tools (it drives the apps as processes, never imports them)
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '.tributary/**', 'data/**', '**/*.mjs'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:core', 'type:util'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:core', 'type:util'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:core', 'type:util', 'type:adapter'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:core', 'type:util', 'type:adapter'] },
          ],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [noAppImports] }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    // The end-to-end suite starts the infrastructure with tools/infra; the apps it runs as processes.
    files: ['apps/e2e/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ ...noAppImports, group: noAppImports.group.filter((name) => name !== '@tributary/tools') }] },
      ],
    },
  },
  {
    // The core is pure: no I/O and no Node built-ins, so it runs the same in every layer.
    files: ['libs/core/**/*.ts'],
    ignores: ['libs/core/**/*.spec.ts', 'libs/core/test/**', 'libs/core/bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noAppImports, ...noNodeBuiltins] },
      ],
    },
  },
];
