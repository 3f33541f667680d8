// scripts/check-docs.mjs: the repository's docs pass it, and it finds each kind of problem in a
// small tree of its own.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { anchors, checkDocs, rustErrorCodes, slug } from '../../scripts/check-docs.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('the repository: README within 250 lines, no dead link or anchor, every code documented', () => {
  assert.deepEqual(checkDocs(ROOT), []);
  assert.ok(rustErrorCodes(ROOT).includes('ERR_INVALID_CONFIG'), 'the codes come from the Rust enum');
});

test("GitHub's heading slugs", () => {
  assert.equal(slug('ERR_INVALID_CONFIG'), 'err_invalid_config');
  assert.equal(slug('Two entries: the default and `full`'), 'two-entries-the-default-and-full');
  assert.equal(slug("Basic encoding: `'form'` or `'none'`"), 'basic-encoding-form-or-none');
  assert.equal(slug('`previewRequest(config)`'), 'previewrequestconfig');
  assert.equal(slug('The .wasm does not load'), 'the-wasm-does-not-load');
  assert.equal(slug('[0.1.0]'), '010');
  assert.equal(slug('Node.js, Deno and Bun'), 'nodejs-deno-and-bun');
  assert.deepEqual([...anchors('# A\n## A\n```\n# not a heading\n```\n## A')], ['a', 'a-1', 'a-2']);
});

describe('a tree with problems', () => {
  const RUST = 'impl Error {\n    pub const CODES: &\'static [&\'static str] = &[\n        "ERR_ONE",\n        "ERR_TWO",\n    ];\n}\n';
  const GOOD = {
    'core/src/error.rs': RUST,
    'README.md': '# X\n\n[one](docs/errors.md#err_one) [two](docs/errors.md#err_two) [g](docs/guide/a.md#the-b)\n',
    'docs/errors.md': '# Errors\n\n## ERR_ONE\n\nHint: Do one.\n\n## ERR_TWO\nHint: Do two.\n',
    'docs/guide/a.md': '# A\n\n## The `b`\n\n[up](../../README.md) [self](#a) [ext](https://example.com/x#y)\n',
  };
  function tree(changes) {
    const root = mkdtempSync(join(tmpdir(), 'otc-check-docs-'));
    for (const [path, text] of Object.entries({ ...GOOD, ...changes })) {
      if (text === null) continue;
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }
  const cases = [
    ['nothing wrong', {}, []],
    ['README over 250 lines', { 'README.md': `${GOOD['README.md']}${'x\n'.repeat(250)}` }, [/README\.md: 253 lines, at most 250/]],
    ['a dead link', { 'docs/guide/a.md': '# A\n[gone](missing.md)\n' }, [/a\.md:2: missing\.md: no such file/, /no heading #the-b/]],
    ['a dead anchor', { 'docs/guide/a.md': '# A\n## The `b`\n[self](#nope)\n' }, [/a\.md:3: #nope: no heading #nope/]],
    ['a link outside the repository', { 'docs/guide/a.md': '# A\n## The `b`\n[spec](../../../shared/spec.txt)\n' }, [/leads outside the repository/, /names a path outside/]],
    ['a path outside in the text', { 'docs/testing.md': 'See ../shared/spec/x.txt for it.\n' }, [/testing\.md:1: names a path outside the repository: \.\.\/shared/]],
    ['links inside code are not links', { 'docs/guide/a.md': '# A\n## The `b`\n`[x](nope.md)`\n```\n[y](nope.md)\n```\n' }, []],
    ['a code without a section', { 'docs/errors.md': '# Errors\n\n## ERR_ONE\n\nHint: Do one.\n' }, [/no "## ERR_TWO" section/, /no heading #err_two/]],
    ['a section without a hint', { 'docs/errors.md': '## ERR_ONE\nHint: Do one.\n## ERR_TWO\nDo two.\n' }, [/ERR_TWO: the first line after the heading must start with "Hint: "/]],
    ['a code missing from the README table', { 'README.md': '# X\n\n[one](docs/errors.md#err_one) [g](docs/guide/a.md#the-b)\n' }, [/does not link ERR_TWO/]],
    ['no code list in the Rust sources', { 'core/src/error.rs': 'pub enum Error {}\n' }, [/no `const CODES` array/]],
    ['a relative link in the npm README', { 'pkg-template/README.md': '# X\n[docs](../docs/errors.md) [ok](https://example.com/)\n' }, [/pkg-template\/README\.md:2: \.\.\/docs\/errors\.md: a relative link, dead on npm/]],
    ['an example that differs from its file', {
      'examples/a.mjs': 'console.log(1);\n',
      'README.md': `${GOOD['README.md']}<!-- example: examples/a.mjs -->\n\`\`\`js\nconsole.log(2);\n\`\`\`\n`,
    }, [/README\.md:4: the block differs from examples\/a\.mjs/]],
    ['an example that equals its file', {
      'examples/a.mjs': 'console.log(1);\n',
      'README.md': `${GOOD['README.md']}<!-- example: examples/a.mjs -->\n\`\`\`js\nconsole.log(1);\n\`\`\`\n`,
    }, []],
  ];
  for (const [name, changes, expected] of cases) {
    test(name, () => {
      const root = tree(changes);
      try {
        const problems = checkDocs(root);
        assert.equal(problems.length, expected.length, problems.join('\n'));
        for (const re of expected) assert.ok(problems.some((p) => re.test(p)), `${re} in:\n${problems.join('\n')}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
