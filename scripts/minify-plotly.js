#!/usr/bin/env node
// Part of `npm run build`: plotly.js-dist ships plotly.js unminified (~10.7 MB), and every executed
// notebook carries the bundle once (src/plot/render.ts sends it into the page). This writes the
// same code minified to dist/plotly.min.js, which render.ts sends instead; its license comments
// are kept. The browser tests draw every chart with it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const manifest = require.resolve('plotly.js-dist/package.json', { paths: [root] });
const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
const source = path.join(path.dirname(manifest), pkg.main || 'plotly.js');
const out = path.join(root, 'dist', 'plotly.min.js');
const tmp = `${out}.${process.pid}.tmp`;
const started = Date.now();
const result = esbuild.transformSync(fs.readFileSync(source, 'utf8'), {
  minify: true,
  legalComments: 'inline',
  charset: 'utf8',
});
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  tmp,
  `/* plotly.js ${pkg.version}, minified from plotly.js-dist by scripts/minify-plotly.js */\n${result.code}`,
);
fs.renameSync(tmp, out);
const mb = (file) => (fs.statSync(file).size / 1e6).toFixed(1);
console.log(
  `plotly.js ${pkg.version}: ${mb(source)} MB -> dist/plotly.min.js ${mb(out)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
