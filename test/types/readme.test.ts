/**
 * The README's quick start, as a user copies it, compiles under `tsc --strict`
 * against this package's built declarations. Only what the snippet leaves to the app (`db`,
 * `mailer`, `app`, `metrics`, two more functions) is declared next to it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const theAppsOwn = `
type User = { id: string; email: string };
declare const db: { users: { get(id: string): Promise<User>; create(input: unknown): Promise<User> } };
declare const mailer: { send(to: string, subject: string): Promise<void> };
declare const app: { post(path: string, handler: (req: { body: unknown }, res: { redirect(url: string): void }) => Promise<void>): void };
declare const metrics: { record(change: import('eventide').RunStateChange): void };
declare const startTrial: import('eventide').EventideFunction;
declare const addToNewsletter: import('eventide').EventideFunction;
`;

export function quickStart(readme: string): string {
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('the README has no ```ts block under "## Quick start"');
  return block[1];
}

it('the README quick start compiles under tsc --strict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-readme-'));
  try {
    const snippet = join(dir, 'quick-start.mts');
    writeFileSync(snippet, quickStart(readFileSync(join(root, 'README.md'), 'utf8')));
    writeFileSync(join(dir, 'app.d.ts'), theAppsOwn);
    const program = ts.createProgram([snippet, join(dir, 'app.d.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      // As if installed: 'eventide' is this checkout's build (npm test builds first), its declarations as they ship.
      paths: { eventide: [join(root, 'dist/index.d.ts')] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) =>
          `${d.file ? `${d.file.fileName.replace(dir, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    expect(problems).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
