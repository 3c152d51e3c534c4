#!/usr/bin/env bash
# Tests the pre-commit hook as a user gets it: `pre-commit try-repo THIS_REPO borderline
# --all-files` in a fresh git repository made from a fixture. pre-commit builds the hook with
# `cargo install --bins --path .` at this repository's root (the `borderline-pre-commit` package),
# in release mode. The hook must fail the demo (it has error findings) and pass a clean fixture.
#
# CARGO_TARGET_DIR (default: this repository's target/) lets that build reuse the dependencies
# `cargo build --release` already compiled; PRE_COMMIT_HOME is a fresh directory, so the hook's
# environment is built from scratch every time, as on a user's first commit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/pre-commit-home"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A repository holding a copy of FIXTURE, committed.
make_repo() {
    local dir="$work/$1"
    cp -R "$root/fixtures/$2" "$dir"
    git -C "$dir" init -q
    git -C "$dir" -c user.name=test -c user.email=test@example.invalid add -A
    git -C "$dir" -c user.name=test -c user.email=test@example.invalid commit -q -m fixture
    echo "$dir"
}

try_repo() {
    local status=0
    (cd "$1" && pre-commit try-repo "$root" borderline --all-files) >"$work/log" 2>&1 || status=$?
    echo "$status"
}

demo="$(make_repo demo demo)"
start=$(date +%s)
status="$(try_repo "$demo")"
echo "pre-commit try-repo on the demo (the hook built from scratch): $(($(date +%s) - start)) s"
[ "$status" = 1 ] || { cat "$work/log"; fail "the demo must fail the hook (exit 1), got $status"; }
grep -q 'borderline (GDPR transfers)\.*Failed' "$work/log" || { cat "$work/log"; fail "the hook did not report Failed"; }
grep -q 'error\[transfer-without-safeguard\]' "$work/log" || { cat "$work/log"; fail "no finding in the hook's output"; }
echo "ok: the hook fails the demo and shows its findings"

clean="$(make_repo clean tf-registry-aws-frankfurt)"
status="$(try_repo "$clean")"
[ "$status" = 0 ] || { cat "$work/log"; fail "a clean repository must pass the hook, got $status"; }
grep -q 'borderline (GDPR transfers)\.*Passed' "$work/log" || { cat "$work/log"; fail "the hook did not report Passed"; }
echo "ok: the hook passes a clean repository"
