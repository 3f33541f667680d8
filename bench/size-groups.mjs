// Groups twiggy's items into the categories bench/SIZE.md reports. Input: a .wasm built with
// names (wasm-bindgen --keep-debug, then wasm-opt -g with the build's flags), e.g.
//   cargo build --release --target wasm32-unknown-unknown
//   wasm-bindgen --target web --keep-debug --out-dir /tmp/wbd --out-name o \
//     target/wasm32-unknown-unknown/release/oauth_token_connection.wasm
//   node_modules/.bin/wasm-opt -Oz --converge -g <build.sh's --enable-* flags> /tmp/wbd/o_bg.wasm -o /tmp/wbd/named.wasm
//   node bench/size-groups.mjs /tmp/wbd/named.wasm
// Prints a markdown table (raw bytes per group, the names section excluded) and the top items.
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

const wasm = process.argv[2];
const twiggy = process.env.TWIGGY ?? join(homedir(), '.cargo', 'bin', 'twiggy');
const csv = execFileSync(twiggy, ['top', '-n', '100000', '-f', 'csv', wasm], { encoding: 'utf8', maxBuffer: 1 << 26 });

const rows = csv.trim().split('\n').slice(1).map((line) => {
  // Name may be quoted and contain commas; the four numeric columns are last.
  const parts = line.split(',');
  const size = Number(parts[parts.length - 4]);
  let name = parts.slice(0, parts.length - 4).join(',');
  if (name.startsWith('"')) name = name.slice(1, -1).replaceAll('""', '"');
  return { name, size };
});

const groups = [
  ['names section (not shipped)', (n) => /" subsection$|^"function names"|names" subsection/.test(n)],
  ['messages and tables (data segments)', (n) => n.startsWith('data segment')],
  ['allocator (talc, alloc::raw_vec, realloc)', (n) => /talc|__rust_(alloc|realloc|dealloc)|__rdl_|raw_vec|RawVec|into_boxed_slice|Vec<T,A>::reserve|finish_grow|grow_amortized|alloc::alloc/.test(n)],
  ['panic / fmt', (n) => /core::fmt|fmt::|panic|Debug|Display|unwrap_failed|expect_failed|slice_index_fail|str_index|slice_error_fail/.test(n)],
  ['async state machines and executor (futures, closures, promise glue)', (n) => /\{\{closure\}\}|js_sys::futures|Future|Queue|Task|Waker|wasm_bindgen::convert::closures|closure/.test(n)],
  ['wasm-bindgen exports and runtime (externref shims, table, malloc exports, thread-locals)', (n) => /shim|externref|__wbindgen|__wbg_|^export |wasm_bindgen::|JsThreadLocal|LazyCell|js_sys::global|elem\[|table\[|^code\[/.test(n)],
  ['config parsing and JS value walking (config, value, the adapter\'s members and entries)', (n) => /oauth_token_core::(config|value)::|oauth_token_connection::adapter::(value|members|entries|parse_url|url_parts)/.test(n)],
  ['the JSON reader and writer (json)', (n) => /oauth_token_core::json::/.test(n)],
  ['the exchange, requests, responses, errors, connection (the core) and the rest of the adapter', (n) => /oauth_token_(core|connection)::/.test(n)],
  ['core::str / slice / iter helpers', (n) => /core::|core\[|alloc::|<str>|memchr|memcmp|memcpy|memset|memmove/.test(n)],
  ['other', () => true],
];

const totals = new Map(groups.map(([g]) => [g, 0]));
const members = new Map(groups.map(([g]) => [g, []]));
for (const r of rows) {
  const [g] = groups.find(([, test]) => test(r.name));
  totals.set(g, totals.get(g) + r.size);
  members.get(g).push(r);
}
const shipped = [...totals].filter(([g]) => !g.startsWith('names')).reduce((a, [, v]) => a + v, 0);
console.log('| group | raw bytes | share | largest items |');
console.log('|---|---:|---:|---|');
for (const [g, v] of totals) {
  if (g.startsWith('names')) continue;
  const top = members.get(g).sort((a, b) => b.size - a.size).slice(0, 3)
    .map((r) => `${r.name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '').replaceAll('|', '\\|')} (${r.size})`).join('; ');
  console.log(`| ${g} | ${v} | ${((v / shipped) * 100).toFixed(1)}% | ${top} |`);
}
console.log(`| **total (items twiggy sees, without the names section)** | ${shipped} | 100% | |`);
