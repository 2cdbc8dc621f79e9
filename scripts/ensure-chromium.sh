#!/usr/bin/env bash
# Finds Chromium, or installs Debian's chromium package when it is missing
# (as root, or through sudo). Prints the browser's path.
set -euo pipefail
for b in "${VERBATIM_BROWSER_PATH:-}" chromium chromium-browser google-chrome-stable google-chrome; do
	[ -n "$b" ] || continue
	if p=$(command -v "$b" 2>/dev/null); then echo "$p"; exit 0; fi
done
if ! command -v apt-get >/dev/null 2>&1; then
	echo "no Chromium found and no apt-get: install Chromium and set VERBATIM_BROWSER_PATH" >&2
	exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "installing Debian's chromium (about 40 s) ..." >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
command -v chromium
