/**
 * What `npm pack` ships (after the build, as npm test runs it): the library and the
 * CLI with their declarations and source maps, the LICENSE and README; not the benchmarks
 * or examples. The maps carry the sources, which are not shipped themselves.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('the tarball ships dist without bench and examples, the LICENSE, the CLI, and maps with their sources', () => {
  // --ignore-scripts: the build already ran; prepack would build again.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  expect(files).toContain('LICENSE');
  expect(files).toContain('dist/index.js');
  expect(files.filter((f) => /^dist\/(bench|examples|test)\//.test(f))).toEqual([]);
  expect(files.filter((f) => !/^(dist\/|LICENSE$|README\.md$|package\.json$)/.test(f))).toEqual([]);

  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
  expect(pkg.scripts.prepack).toMatch(/npm run build/);
  expect(files).toContain(pkg.bin.eventide.replace(/^\.\//, ''));
  expect(readFileSync(`${root}/${pkg.bin.eventide}`, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  expect(readFileSync(`${root}/LICENSE`, 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} eventide contributors\n/);

  const map = JSON.parse(readFileSync(`${root}/dist/core/runtime.js.map`, 'utf8'));
  expect(map.sources).toEqual(['../../core/runtime.ts']);
  expect(map.sourcesContent[0]).toBe(readFileSync(`${root}/core/runtime.ts`, 'utf8'));
});
