// SPDX-License-Identifier: LGPL-2.1-or-later
// Builds the page into OUTDIR (default: dist): index.js and index.css
// bundled by esbuild from src/, PatternFly's fonts beside them, index.html
// and manifest.json copied. Needs only node_modules (npm ci): nothing is
// fetched, and the same tree gives the same bytes.
//
//   node build.js [OUTDIR]

import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] || path.join(here, "dist"));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await esbuild.build({
    absWorkingDir: here,
    entryPoints: ["src/index.js"],
    outdir: out,
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome100", "firefox100", "safari15"],
    legalComments: "linked",
    // PatternFly's fonts and its few images: files beside the CSS.
    loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file", ".png": "file", ".jpg": "file" },
    assetNames: "assets/[name]",
    logLevel: "warning",
});

copyFileSync(path.join(here, "src/index.html"), path.join(out, "index.html"));
copyFileSync(path.join(here, "manifest.json"), path.join(out, "manifest.json"));
