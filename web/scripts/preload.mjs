// Writes each page's <link rel="modulepreload"> list: the page's entry
// module and every module it imports statically, so that the browser asks
// for all of them at once instead of one level of imports after another.
// `make web` runs it; `go test ./web` fails when a page's list is not the
// closure of its imports (a module added without running this).
// Usage: node scripts/preload.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*['"](\.\/[^'"]+)['"]|^\s*import\s*['"](\.\/[^'"]+)['"]/gm;
const HEAD = '<!-- Every module at once, instead of one level of imports after another. -->';

/** closure lists the entry module and what it imports statically, in the order first met. */
function closure(entry) {
  const seen = [];
  const visit = (file) => {
    if (seen.includes(file)) return;
    seen.push(file);
    const src = readFileSync(join(PUBLIC, 'js', file), 'utf8');
    for (const m of src.matchAll(STATIC_IMPORT)) visit((m[1] || m[2]).slice(2));
  };
  visit(entry);
  return seen;
}

for (const page of ['index.html', 'manage.html', 'field.html']) {
  const path = join(PUBLIC, page);
  let html = readFileSync(path, 'utf8');
  const entry = html.match(/<script src="\/js\/([^"]+)" type="module"><\/script>/)[1];
  const links = closure(entry).map((f) => `<link rel="modulepreload" href="/js/${f}">`).join('\n');
  // The block: the comment and the links, wherever they are; else right after the entry's script tag.
  const block = /(?:<!-- Every module at once[^\n]*\n)?(?:<link rel="modulepreload"[^>]*>\n)+/;
  const tag = /(<script src="\/js\/[^"]+" type="module"><\/script>\n)/;
  html = block.test(html) ? html.replace(block, `${HEAD}\n${links}\n`) : html.replace(tag, `$1${HEAD}\n${links}\n`);
  writeFileSync(path, html);
  console.log(`${page}: ${closure(entry).length} modules preloaded`);
}
