#!/usr/bin/env node
// Checks the docs: README.md is at most 250 lines; every relative link in README.md,
// CHANGELOG.md, SECURITY.md and docs/**/*.md resolves to a file in the repository, and every
// #anchor to a heading of its file (GitHub's slugs); no page names a path outside the repository,
// and the npm README (pkg-template/README.md) has no relative link;
// each README block marked `<!-- example: FILE -->` equals FILE; docs/errors.md has a
// `## CODE` section with a `Hint:` line for every code of the Rust core's `Error::CODES`, and
// README's error table links to each.
//   node scripts/check-docs.mjs [root]      exit 1 and one line per problem when any

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const README_MAX_LINES = 250;
const SKIP_DIRS = new Set(['node_modules', 'target', 'pkg', 'api', '.git', '.tools']);
/** Text that names a place outside the repository. */
const OUTSIDE = /(?:\.\.\/)+shared\b|(?<![\w.])\/(?:work|root|home|tmp)\//;

/** Markdown files whose links are checked, relative to the root. */
function pages(root) {
  const found = ['README.md', 'CHANGELOG.md', 'SECURITY.md'].filter((f) => existsSync(join(root, f)));
  const walk = (dir) => {
    if (!existsSync(join(root, dir))) return;
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(path);
      else if (e.isFile() && e.name.endsWith('.md')) found.push(path);
    }
  };
  walk('docs');
  return found;
}

/** Lines outside fenced code blocks: number, raw text, and text with inline code blanked. */
function proseLines(text) {
  const out = [];
  let fence = null;
  text.split('\n').forEach((line, i) => {
    const m = line.match(/^\s*(`{3,}|~{3,})/);
    if (m) {
      if (!fence) fence = m[1];
      else if (m[1][0] === fence[0] && m[1].length >= fence.length) fence = null;
      return;
    }
    if (!fence) out.push({ n: i + 1, raw: line, text: line.replace(/(`+)[^`]*?\1/g, (s) => ' '.repeat(s.length)) });
  });
  return out;
}

/** GitHub's anchor for a heading's text: lowercase, punctuation dropped, spaces to hyphens. */
export function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/\[([^\]]*)\]/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
}

/** Every anchor of a Markdown file: heading slugs (repeats get -1, -2, …) and HTML ids. */
export function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const { raw: line } of proseLines(text)) {
    const h = line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n ? `${base}-${n}` : base);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]);
  }
  return out;
}

/** Link targets of a Markdown file: inline links and images, and reference definitions. */
function links(text) {
  const out = [];
  for (const { n, text: line } of proseLines(text)) {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ n, target: m[1] });
    const def = line.match(/^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/);
    if (def) out.push({ n, target: def[1] });
  }
  return out;
}

/** The Rust core's error codes: the `CODES` array of the enum, wherever the crate keeps it. */
export function rustErrorCodes(root) {
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || SKIP_DIRS.has(e.name) || e.name === 'fuzz') continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        const r = walk(path);
        if (r) return r;
      } else if (e.name.endsWith('.rs')) {
        const m = readFileSync(path, 'utf8').match(/\bconst CODES:\s*&(?:'static\s*)?\[[^\]]*\]\s*=\s*&\[([^\]]*)\]/);
        if (m) return [...m[1].matchAll(/"(ERR_[A-Z0-9_]+)"/g)].map((x) => x[1]);
      }
    }
    return null;
  };
  return walk(root);
}

/**
 * The core's error codes with what each means and its common hint, from the Rust definitions
 * themselves (`cargo run --example package-file errors`); null where `root` has no core crate.
 */
export function coreErrors(root) {
  if (!existsSync(join(root, 'core/Cargo.toml'))) return null;
  const out = execFileSync('cargo', ['run', '--quiet', '-p', 'oauth-token-core', '--example', 'package-file', 'errors'], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** Every problem found under `root`, as "file:line: what" strings. */
export function checkDocs(root) {
  const problems = [];
  const read = (f) => readFileSync(join(root, f), 'utf8');
  const anchorCache = new Map();
  const anchorsOf = (file) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchors(readFileSync(file, 'utf8')));
    return anchorCache.get(file);
  };

  const readme = read('README.md');
  const lines = readme.endsWith('\n') ? readme.split('\n').length - 1 : readme.split('\n').length;
  if (lines > README_MAX_LINES) problems.push(`README.md: ${lines} lines, at most ${README_MAX_LINES}`);

  for (const page of pages(root)) {
    const file = join(root, page);
    const text = read(page);
    text.split('\n').forEach((line, i) => {
      const m = line.match(OUTSIDE);
      if (m) problems.push(`${page}:${i + 1}: names a path outside the repository: ${m[0]}`);
    });
    for (const { n, target } of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // http:, mailto:
      const [path, anchor] = target.split('#', 2);
      const dest = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      if (dest !== resolve(root) && !dest.startsWith(resolve(root) + sep)) {
        problems.push(`${page}:${n}: ${target} leads outside the repository`);
        continue;
      }
      if (!existsSync(dest)) {
        problems.push(`${page}:${n}: ${target}: no such file`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(dest).isDirectory() || !dest.endsWith('.md')) {
        problems.push(`${page}:${n}: ${target}: an anchor into a file that is not Markdown`);
      } else if (!anchorsOf(dest).has(anchor)) {
        problems.push(`${page}:${n}: ${target}: no heading #${anchor} in ${relative(root, dest)}`);
      }
    }
  }

  // The npm README is read on the registry, where a relative link leads nowhere.
  if (existsSync(join(root, 'pkg-template/README.md'))) {
    const npm = read('pkg-template/README.md');
    npm.split('\n').forEach((line, i) => {
      const m = line.match(OUTSIDE);
      if (m) problems.push(`pkg-template/README.md:${i + 1}: names a path outside the repository: ${m[0]}`);
    });
    for (const { n, target } of links(npm)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) problems.push(`pkg-template/README.md:${n}: ${target}: a relative link, dead on npm`);
    }
  }

  // The examples quoted in README are the files the tests run.
  for (const m of readme.matchAll(/<!-- example: (\S+) -->\n(`{3,})[^\n]*\n([\s\S]*?)\n\2\n/g)) {
    const [, path, , block] = m;
    const n = readme.slice(0, m.index).split('\n').length;
    if (!existsSync(join(root, path))) problems.push(`README.md:${n}: example ${path}: no such file`);
    else if (`${block}\n` !== read(path)) problems.push(`README.md:${n}: the block differs from ${path}`);
  }
  const marked = (readme.match(/<!-- example: /g) ?? []).length;
  const parsed = [...readme.matchAll(/<!-- example: (\S+) -->\n(`{3,})/g)].length;
  if (marked !== parsed) problems.push('README.md: an `<!-- example: FILE -->` marker without a code block right after it');

  // One section per error code, with its hint: the core's own hint where the crate is there.
  const core = coreErrors(root);
  const hints = new Map(core?.map((e) => [e.code, e.hint]));
  const codes = core?.map((e) => e.code) ?? rustErrorCodes(root);
  if (!codes?.length) {
    problems.push('no `const CODES` array of error codes found in the Rust sources');
  } else {
    const errors = existsSync(join(root, 'docs/errors.md')) ? read('docs/errors.md').split('\n') : [];
    for (const code of codes) {
      const at = errors.indexOf(`## ${code}`);
      const next = errors.slice(at + 1).find((l) => l.trim() !== '');
      if (at < 0) problems.push(`docs/errors.md: no "## ${code}" section`);
      else if (errors.indexOf(`## ${code}`, at + 1) > at) problems.push(`docs/errors.md: "## ${code}" twice`);
      else if (!next?.startsWith('Hint: ')) problems.push(`docs/errors.md:${at + 1}: ${code}: the first line after the heading must start with "Hint: "`);
      else if (hints.has(code) && next !== `Hint: ${hints.get(code)}`) {
        problems.push(`docs/errors.md:${at + 1}: ${code}: the hint is not the core's: "${hints.get(code)}"`);
      }
      if (!readme.includes(`](docs/errors.md#${slug(code)})`)) problems.push(`README.md: the error table does not link ${code} to docs/errors.md#${slug(code)}`);
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
  const problems = checkDocs(root);
  for (const p of problems) console.error(p);
  const n = pages(root).length;
  console.log(problems.length
    ? `check-docs: ${problems.length} problem(s)`
    : `check-docs: README.md ${readFileSync(join(root, 'README.md'), 'utf8').split('\n').length - 1} lines; ${n} pages, every link and anchor resolves`);
  process.exitCode = problems.length ? 1 : 0;
}
