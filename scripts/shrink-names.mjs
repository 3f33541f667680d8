// Shortens the names that the .wasm and the wasm-bindgen glue share, in both files at once (a
// size step of scripts/build.sh; nothing else changes):
// - every import's module ("./oauth_token_connection_bg.js", repeated per import) becomes "a" and
//   each import name (`__wbg_<name>_<16 hex digits>`) becomes a short one;
// - every export but `memory` gets a short name (`_a`, `_b`, ...).
// The glue refers to these names only as import-object keys and as `wasm.<export>`; imports are
// replaced as whole words (each carries a hash, so is unique), exports only after `wasm.`. Fails loudly if a name it
// renamed is still in the glue or if the module no longer matches the glue.
// The glue's .d.ts (third argument) gets the new export names in its InitOutput interface.
//   node scripts/shrink-names.mjs pkg/oauth_token_connection_bg.wasm pkg/oauth_token_connection.js pkg/oauth_token_connection.d.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, gluePath, dtsPath] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
let glue = readFileSync(gluePath, 'utf8');

let pos = 8;
const uleb = () => {
  let result = 0;
  let shift = 0;
  let b;
  do {
    b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return result;
};
const encodeUleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
};
const name = () => {
  const len = uleb();
  const s = bytes.subarray(pos, pos + len).toString('utf8');
  pos += len;
  return s;
};
const encodeName = (s) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([encodeUleb(b.length), b]);
};
/** Short identifiers: a, b, …, z, A, …, Z, aa, ab, … (valid JS property names). */
const short = (i) => {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let s = '';
  do {
    s = abc[i % abc.length] + s;
    i = Math.floor(i / abc.length) - 1;
  } while (i >= 0);
  return s;
};

const renames = new Map();
const sections = [bytes.subarray(0, 8)];
while (pos < bytes.length) {
  const header = pos;
  const id = bytes[pos++];
  const size = uleb();
  const start = pos;
  const end = start + size;
  if (id === 2) {
    const count = uleb();
    const parts = [encodeUleb(count)];
    for (let i = 0; i < count; i++) {
      const module = name();
      const field = name();
      const descStart = pos;
      const kind = bytes[pos++];
      if (kind === 0) uleb(); // function: type index
      else throw new Error(`import ${module}.${field}: only function imports are expected (kind ${kind})`);
      const desc = bytes.subarray(descStart, pos);
      const quoted = JSON.stringify(module);
      if (!glue.includes(`${quoted}: import0`)) throw new Error(`the glue does not provide module ${quoted}`);
      const newField = short(i);
      renames.set(field, newField);
      parts.push(encodeName('a'), encodeName(newField), desc);
    }
    const body = Buffer.concat(parts);
    sections.push(Buffer.from([id]), encodeUleb(body.length), body);
  } else if (id === 7) {
    const count = uleb();
    const parts = [encodeUleb(count)];
    let n = 0;
    for (let i = 0; i < count; i++) {
      const field = name();
      const descStart = pos;
      pos += 1;
      uleb();
      const desc = bytes.subarray(descStart, pos);
      let out = field;
      // Exports the glue never names (e.g. wasm-bindgen's __abort_handler) keep their names.
      if (field !== 'memory' && new RegExp(`\\bwasm\\.${field}\\b`).test(glue)) {
        out = `_${short(n++)}`;
        renames.set(field, out);
      }
      parts.push(encodeName(out), desc);
    }
    const body = Buffer.concat(parts);
    sections.push(Buffer.from([id]), encodeUleb(body.length), body);
  } else {
    sections.push(bytes.subarray(header, end));
  }
  pos = end;
}

const moduleNames = new Set();
glue = glue.replace(/"(\.\/[\w.-]+_bg\.js)": import0/, (_, m) => {
  moduleNames.add(m);
  return '"a": import0';
});
if (moduleNames.size !== 1) throw new Error('the glue has no import0 module entry');
for (const [from, to] of renames) {
  const isExport = to.startsWith('_');
  const re = new RegExp(isExport ? `(?<=\\bwasm\\.)${from}\\b` : `\\b${from}\\b`, 'g');
  if (!re.test(glue)) throw new Error(`${from} is not in the glue`);
  glue = glue.replace(re, to);
}
if (dtsPath && existsSync(dtsPath)) {
  let dts = readFileSync(dtsPath, 'utf8');
  for (const [from, to] of renames) {
    if (to.startsWith('_')) dts = dts.replace(new RegExp(`(?<=readonly )${from}(?=:)`, 'g'), to);
  }
  writeFileSync(dtsPath, dts);
}
const out = Buffer.concat(sections);
new WebAssembly.Module(out); // still a valid module
writeFileSync(wasmPath, out);
writeFileSync(gluePath, glue);
console.error(`[shrink-names] ${renames.size} names shortened: wasm ${bytes.length} -> ${out.length} B`);
