#!/usr/bin/env bash
# Rebuilds dashboard/static/vendor/ from the npm registry.
#
# The dashboard draws its charts and map with Apache ECharts. This script
# installs the exact versions pinned in package-lock.json (npm ci, no install
# scripts) into a temporary folder and copies only the minified browser build
# and the licence files into ../static/vendor/. The output is committed, so
# `go build` and `go run` need neither node nor the network; run this script
# only to change the library version (edit package.json, then
# `npm install --package-lock-only --ignore-scripts`, then run it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../static/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

ver=$(node -p "require('$tmp/node_modules/echarts/package.json').version")
mkdir -p "$out"
cp "$tmp/node_modules/echarts/dist/echarts.min.js" "$out/echarts.min.js"
# echarts.min.js bundles ZRender (BSD-3-Clause) and tslib (0BSD): ship all
# three notices next to it.
cp "$tmp/node_modules/echarts/LICENSE" "$out/LICENSE-echarts"
cp "$tmp/node_modules/echarts/NOTICE" "$out/NOTICE-echarts"
cp "$tmp/node_modules/zrender/LICENSE" "$out/LICENSE-zrender"
cp "$tmp/node_modules/tslib/LICENSE.txt" "$out/LICENSE-tslib"
{
  echo "Third-party files in this folder, copied by dashboard/web/build.sh from the npm registry:"
  echo
  echo "- echarts.min.js: Apache ECharts $ver (Apache-2.0; LICENSE-echarts, NOTICE-echarts),"
  echo "  bundling ZRender $(node -p "require('$tmp/node_modules/zrender/package.json').version") (BSD-3-Clause; LICENSE-zrender)"
  echo "  and tslib $(node -p "require('$tmp/node_modules/tslib/package.json').version") (0BSD; LICENSE-tslib)."
  echo
  echo "Do not edit these files by hand: change dashboard/web/package.json and rerun build.sh."
} > "$out/README.md"
echo "vendor: echarts $ver -> $out" >&2
