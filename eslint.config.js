// Type-aware lint rules for a background runtime: an unawaited promise or a promise passed where a callback's
// result is ignored loses errors, and lost errors are lost work.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // An attempt ends early by throwing an Interrupt through the handler: not an Error, so it costs no stack trace.
      '@typescript-eslint/only-throw-error': ['error', { allow: [{ from: 'file', name: 'Interrupt' }] }],
      // A value a handler threw travels as it is until coerceError turns it into an Error where it is recorded.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      // Seam implementations are async by contract even where one has nothing to await (the memory transport).
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Plain JavaScript has no types to check with.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  {
    // The dashboard's script runs in the browser, as a classic script.
    files: ['adapters/http/dashboard-client.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    // Tests poke at values whose shape they assert next, and hand methods to expect(); the promise rules stay on.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
