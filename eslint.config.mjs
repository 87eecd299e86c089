// ESLint for latfleet (run by `npm test` through `npm run lint`): typescript-eslint's recommended
// rules, no import cycles, and the layering rules the code follows (docs/architecture.md):
// controllers reach the database only through services; the CLI talks to the fleet over HTTP and
// imports no query-service internals; shared libraries (services/lib) import no service.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'services/lib/proto/gen/**', 'test-artifacts/**', 'grafana/dashboards/**', '.latfleet/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['services/query/*.controller.ts'],
    rules: {
      'no-restricted-imports': restrict([
        { group: ['./*.repository.js', '../lib/store/*', '../lib/store/index.js'], message: 'a controller calls services only (issue 16: layers respected)' },
        { group: ['typeorm'], message: 'a controller never reaches the DataSource' },
      ]),
    },
  },
  {
    files: ['services/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        { group: ['../query/*', '!../query/contract.js', '../control/*'], message: 'the CLI talks to the fleet over HTTP: import services/query/contract.ts, not query or control internals' },
      ]),
    },
  },
  {
    files: ['services/lib/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([{ group: ['../../query/*', '../../control/*', '../../agent/*', '../../cli/*'], message: 'shared libraries import no service' }]),
    },
  },
  // ambient declarations of untyped packages: their names are used by the module that imports them
  { files: ['**/*.d.ts'], rules: { '@typescript-eslint/no-unused-vars': 'off' } },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.fuzz-spec.ts', '**/*.deploy-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
