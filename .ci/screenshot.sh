#!/usr/bin/env bash
# Renders the demo's HTML report (`scan fixtures/demo --format html`) and takes the screenshot the
# README shows, docs/report.png, with headless Chromium (Debian `chromium`). Run it after a change
# to the page's look, then look at the PNG before committing it.
#
#   .ci/screenshot.sh [OUTPUT.png]     default: docs/report.png
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
output="${1:-$root/docs/report.png}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
    echo "the screenshot needs Chromium at $chromium (Debian: apt-get install chromium)" >&2
    exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Exit code 1 is expected: the demo has findings.
set +e
cargo run --quiet --locked --manifest-path "$root/Cargo.toml" -p borderline --bin borderline -- \
    scan "$root/fixtures/demo" --date 2026-11-29 --format html -o "$work/report.html"
status=$?
set -e
if [ "$status" -ne 1 ]; then
    echo "expected exit code 1 from the demo scan, got $status" >&2
    exit 1
fi

# No network of any kind (the page needs none), a throwaway profile, killed after 60 s.
timeout -k 5 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1400,3000 --screenshot="$output" "file://$work/report.html" 2>/dev/null
echo "wrote $output ($(wc -c <"$output") bytes)"
