#!/usr/bin/env bash
# Tests the Action's scripts the way action.yml runs them, with a fake `gh` on PATH:
#   run.sh      one scan writes SARIF, appends the job summary, posts ONE pull-request comment and
#               updates it on the next run; the scan's exit code (0, 1, 2) is the script's; inputs
#               holding `$(...)`, backticks, quotes or `;` are never executed; `baseline-graph`
#               (a fragment, or the base branch's checkout) puts the transfer diff in the comment.
#   install.sh  installs a release archive from a releases directory laid out as GitHub's
#               (BORDERLINE_DISTRIB: the archives `dist build` wrote), verifies its checksum,
#               refuses a tampered archive, and asks for a build when no asset fits.
#   action.yml  no `${{ }}` expression inside shell code, every input reaches the scripts.
# Usage: test.sh BORDERLINE_BINARY [DISTRIB_DIR TARGET]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
borderline="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
distrib="${2:-}"
dist_target="${3:-}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() { echo "ok: $*"; }

# --- a fake `gh api` over a JSON array of issue comments (list, create, update) ---------------
mkdir -p "$work/bin"
cat >"$work/bin/gh" <<'GH'
#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_GH_LOG"
[ "$1" = api ] || { echo "fake gh: only api" >&2; exit 64; }
shift
method=GET input= path=
while [ $# -gt 0 ]; do
    case "$1" in
        --method) method="$2"; shift 2 ;;
        --input) input="$2"; shift 2 ;;
        --paginate) shift ;;
        -*) echo "fake gh: unexpected option $1" >&2; exit 64 ;;
        *) path="$1"; shift ;;
    esac
done
state="$FAKE_GH_STATE"
case "$method $path" in
    "GET repos/acme/shop/issues/42/comments") cat "$state" ;;
    "POST repos/acme/shop/issues/42/comments")
        id=$(( $(jq length "$state") + 1000 ))
        jq --argjson id "$id" --slurpfile p "$input" '. + [{id: $id, body: $p[0].body}]' "$state" >"$state.new"
        mv "$state.new" "$state"
        echo "{\"id\": $id}" ;;
    "PATCH repos/acme/shop/issues/comments/"*)
        id="${path##*/}"
        jq -e --argjson id "$id" 'any(.id == $id)' "$state" >/dev/null || { echo "fake gh: 404" >&2; exit 1; }
        # Someone else's comment: this token may not edit it.
        jq -e --argjson id "$id" 'any(.id == $id and .foreign == true) | not' "$state" >/dev/null || { echo "fake gh: 403" >&2; exit 1; }
        jq --argjson id "$id" --slurpfile p "$input" 'map(if .id == $id then .body = $p[0].body else . end)' "$state" >"$state.new"
        mv "$state.new" "$state"
        echo '{}' ;;
    *) echo "fake gh: unexpected $method $path" >&2; exit 64 ;;
esac
GH
chmod +x "$work/bin/gh"
export FAKE_GH_LOG="$work/gh.log" FAKE_GH_STATE="$work/comments.json"
# Someone else's comment that mentions borderline: never touched.
echo '[{"id": 7, "body": "Looks good. Did borderline run? <!-- borderline -->"}]' >"$FAKE_GH_STATE"
: >"$FAKE_GH_LOG"
echo '{"pull_request": {"number": 42}}' >"$work/event.json"

# Copies of the fixtures as a checkout would hold them.
cp -R "$root/fixtures/demo" "$work/demo"
cp -R "$root/fixtures/tf-registry-aws-frankfurt" "$work/clean"
# A pull request and its base branch (the region moves to us-east-1, a vendor is added).
cp -R "$root/fixtures/diff-shop" "$work/shop-base"
cp -R "$root/fixtures/diff-shop-pr" "$work/shop-pr"

# One run of run.sh as action.yml's scan step runs it; prints its exit code.
run_action() {
    local status=0
    (
        cd "$work"
        env PATH="$work/bin:$PATH" BORDERLINE="$borderline" RUNNER_TEMP="$work/runner" \
            GITHUB_OUTPUT="$work/output" GITHUB_STEP_SUMMARY="$work/summary.md" \
            GITHUB_EVENT_NAME="${EVENT:-pull_request}" GITHUB_EVENT_PATH="$work/event.json" \
            GITHUB_REPOSITORY=acme/shop GH_TOKEN=fake "$@" \
            bash "$root/.github/action/run.sh" >"$work/run.log" 2>&1
    ) || status=$?
    echo "$status"
}
mkdir -p "$work/runner"
: >"$work/output"
: >"$work/summary.md"

# --- 1: the demo, everything on: exit 1, SARIF, summary, one comment --------------------------
status="$(run_action INPUT_PATH=demo INPUT_ARGS="--date 2026-11-29" INPUT_SARIF=true INPUT_SUMMARY=true INPUT_COMMENT=true)"
[ "$status" = 1 ] || { cat "$work/run.log"; fail "the demo's exit code is 1, run.sh gave $status"; }
grep -qx 'exit-code=1' "$work/output" || fail "no exit-code=1 output"
sarif="$(sed -n 's/^sarif-file=//p' "$work/output" | tail -n 1)"
[ -f "$sarif" ] || fail "no SARIF file in the step outputs"
jq -e '.version == "2.1.0" and (.runs[0].results | length) > 0' "$sarif" >/dev/null || fail "SARIF without results"
pass "SARIF written ($(jq '.runs[0].results | length' "$sarif") results), exit code 1 passed through"
grep -q '^## borderline' "$work/summary.md" || fail "the job summary has no report"
grep -q 'transfer-without-safeguard' "$work/summary.md" || fail "the job summary lists no finding"
pass "Markdown appended to the job summary"
[ "$(jq length "$FAKE_GH_STATE")" = 2 ] || fail "expected one new comment: $(cat "$FAKE_GH_STATE")"
first_body="$(jq -r '.[1].body' "$FAKE_GH_STATE")"
[ "$(printf '%s\n' "$first_body" | head -n 1)" = '<!-- borderline -->' ] || fail "the comment does not start with the marker"
printf '%s\n' "$first_body" | grep -q 'transfer-without-safeguard' || fail "the comment has no findings"
grep -q -- '--method POST repos/acme/shop/issues/42/comments' "$FAKE_GH_LOG" || fail "no POST"
pass "pull-request comment created"

# --- 2: the same pull request, now clean: exit 0, the comment updated, not duplicated ---------
: >"$work/summary.md"
status="$(run_action INPUT_PATH=clean INPUT_SUMMARY=false INPUT_COMMENT=true)"
[ "$status" = 0 ] || { cat "$work/run.log"; fail "a clean scan's exit code is 0, run.sh gave $status"; }
[ "$(jq length "$FAKE_GH_STATE")" = 2 ] || fail "the second run added a comment: $(cat "$FAKE_GH_STATE")"
second_body="$(jq -r '.[1].body' "$FAKE_GH_STATE")"
[ "$second_body" != "$first_body" ] || fail "the comment was not updated"
printf '%s\n' "$second_body" | grep -q 'transfer-without-safeguard' && fail "the updated comment still shows the old findings"
[ "$(jq -r '.[0].body' "$FAKE_GH_STATE")" = 'Looks good. Did borderline run? <!-- borderline -->' ] || fail "someone else's comment changed"
grep -q -- '--method PATCH repos/acme/shop/issues/comments/1001' "$FAKE_GH_LOG" || fail "no PATCH of comment 1001"
[ -s "$work/summary.md" ] && fail "summary=false still wrote the job summary"
pass "comment updated in place on the second run, exit code 0 passed through"

# --- 2b: someone else posted a comment that starts with the marker: a new one, no failure ------
saved_state="$(cat "$FAKE_GH_STATE")"
printf '[{"id": 7, "body": "<!-- borderline -->\\nall clear, trust me", "foreign": true}]\n' >"$FAKE_GH_STATE"
status="$(run_action INPUT_PATH=clean INPUT_SUMMARY=false INPUT_COMMENT=true)"
[ "$status" = 0 ] || { cat "$work/run.log"; fail "a comment that cannot be edited changed the exit code to $status"; }
[ "$(jq length "$FAKE_GH_STATE")" = 2 ] || fail "no new comment beside the foreign one: $(cat "$FAKE_GH_STATE")"
[ "$(jq -r '.[0].body' "$FAKE_GH_STATE")" = "$(printf '<!-- borderline -->\nall clear, trust me')" ] || fail "the foreign comment changed"
printf '%s\n' "$saved_state" >"$FAKE_GH_STATE"
pass "a marker comment this token may not edit: a new comment is posted, the exit code is the scan's"

# --- 3: not a pull request: no comment, no gh call --------------------------------------------
: >"$FAKE_GH_LOG"
status="$(EVENT=push run_action INPUT_PATH=clean INPUT_COMMENT=true)"
[ "$status" = 0 ] || fail "push run: exit $status"
[ -s "$FAKE_GH_LOG" ] && fail "gh was called outside a pull request"
pass "no comment outside a pull request"

# --- 3b: baseline-graph, as the base branch's checkout and as a fragment: the diff in the comment -
: >"$FAKE_GH_LOG"
for base in shop-base shop-base.json; do
    if [ "$base" = shop-base.json ]; then
        "$borderline" graph "$work/shop-base" --format json --date 2026-11-29 -o "$work/shop-base.json"
    fi
    status="$(run_action INPUT_PATH=shop-pr INPUT_BASELINE_GRAPH="$base" INPUT_ARGS="--date 2026-11-29" \
        INPUT_SUMMARY=false INPUT_COMMENT=true)"
    # The pull request's vendor outside the DPF fails the scan; the diff does not change that.
    [ "$status" = 1 ] || { cat "$work/run.log"; fail "baseline-graph=$base: expected the scan's exit 1, got $status"; }
    body="$(jq -r '.[1].body' "$FAKE_GH_STATE")"
    printf '%s\n' "$body" | grep -q '^### Transfer changes' || fail "baseline-graph=$base: no transfer changes in the comment"
    printf '%s\n' "$body" | grep -q '3 added, 1 removed, 1 changed' || fail "baseline-graph=$base: wrong counts: $body"
    printf '%s\n' "$body" | grep -q 'aws\\_s3\\_bucket.invoices moved from IE to US' || fail "baseline-graph=$base: the moved bucket is not named"
done
grep -q -- '--date 2026-11-29' "$work/run.log" || fail "the base map was not drawn at the scan's date"
pass "baseline-graph (a checkout or a fragment): the comment shows the transfers the pull request changes"

# --- 4: hostile inputs are data: exit 2 (borderline's usage error), nothing executed ----------
mark="$work/pwned"
status="$(run_action INPUT_PATH="\$(touch $mark-path)" INPUT_BASELINE="\`touch $mark-baseline\`" \
    INPUT_CONFIG="x\"; touch $mark-config; echo \"" INPUT_FAIL_ON="error; touch $mark-failon" \
    INPUT_BASELINE_GRAPH="\$(touch $mark-graph).json" \
    INPUT_ARGS="\"; rm -rf $work/demo; touch $mark-args; echo \$(touch $mark-args2)" INPUT_COMMENT=true)"
[ "$status" = 2 ] || { cat "$work/run.log"; fail "hostile inputs: expected borderline's exit 2, got $status"; }
ls "$work" | grep -q pwned && fail "an input was executed: $(ls "$work" | grep pwned)"
[ -d "$work/demo" ] || fail "an input was executed: demo removed"
pass "inputs with \$(...), backticks, quotes and ; are not executed; exit code 2 passed through"
status="$(run_action INPUT_PATH=clean INPUT_SARIF=maybe)"
[ "$status" = 2 ] || fail "sarif=maybe: expected 2, got $status"
pass "a boolean input that is neither true nor false is refused"

# --- 5: action.yml passes inputs through env only ---------------------------------------------
python3 - "$root/action.yml" <<'PY' || fail "action.yml"
import re, sys, yaml
action = yaml.safe_load(open(sys.argv[1]))
steps = action["runs"]["steps"]
scripts = " ".join(open(p).read() for p in [".github/action/run.sh", ".github/action/install.sh"])
for step in steps:
    if "run" in step and "${{" in step["run"]:
        sys.exit(f"step {step['name']!r} pastes an expression into shell code: {step['run']!r}")
env = {}
for step in steps:
    env.update(step.get("env", {}))
for name in action["inputs"]:
    expr = "${{ inputs.%s }}" % name
    if not any(expr in str(v) for v in [*env.values(), *[s.get("with", {}) for s in steps], *[s.get("if", "") for s in steps]]):
        sys.exit(f"input {name!r} reaches no step")
for var, value in env.items():
    if value.startswith("${{ inputs.") and var not in scripts:
        sys.exit(f"{var} is set but no script reads it")
PY
pass "action.yml: no expression in shell code, every input used"

# --- 6: install.sh with the archives `dist build` wrote -----------------------------------------
if [ -n "$distrib" ]; then
    version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml")"
    releases="$work/releases"
    mkdir -p "$releases/download/v$version" "$releases/latest"
    find "$distrib" -maxdepth 1 -type f -name "borderline-*" -exec cp {} "$releases/download/v$version/" \;
    ln -s "../download/v$version" "$releases/latest/download"
    install_action() {
        local status=0
        : >"$work/install-output"
        : >"$work/install-path"
        env GITHUB_ACTION_PATH="$root" RUNNER_TEMP="$work/runner" GITHUB_OUTPUT="$work/install-output" \
            GITHUB_PATH="$work/install-path" BORDERLINE_RELEASES_URL="file://$releases" \
            BORDERLINE_TARGET="$dist_target" "$@" \
            bash "$root/.github/action/install.sh" release >"$work/install.log" 2>&1 || status=$?
        echo "$status"
    }
    for asked in "" latest "v$version"; do
        rm -rf "$work/home"
        status="$(install_action BORDERLINE_HOME="$work/home" BORDERLINE_VERSION="$asked" GITHUB_ACTION_REF=main)"
        [ "$status" = 0 ] || { cat "$work/install.log"; fail "install.sh release (version '$asked'): exit $status"; }
        grep -qx 'installed=true' "$work/install-output" || fail "installed is not true"
        grep -qx "$work/home/bin" "$work/install-path" || fail "the binary's directory is not on GITHUB_PATH"
        "$work/home/bin/borderline" --version | grep -q "borderline $version" || fail "the installed binary"
        grep -q 'SHA-256 .* verified' "$work/install.log" || fail "checksum not verified"
    done
    pass "install.sh installs the release archive for $dist_target (checksum verified, on PATH)"
    rm -rf "$work/home"
    status="$(install_action BORDERLINE_HOME="$work/home" GITHUB_ACTION_REF=v$version)"
    [ "$status" = 0 ] && grep -qx 'installed=true' "$work/install-output" || fail "@v$version did not install v$version"
    rm -rf "$work/home"
    status="$(install_action BORDERLINE_HOME="$work/home" BORDERLINE_VERSION=9.9.9)"
    [ "$status" = 0 ] || { cat "$work/install.log"; fail "a missing release: exit $status"; }
    grep -qx 'installed=false' "$work/install-output" || fail "a missing release must ask for a build"
    grep -q '^build-key=borderline-build-' "$work/install-output" || fail "no build-key for the cache"
    [ -e "$work/home/bin/borderline" ] && fail "a missing release installed something"
    pass "no release asset: installed=false, the build step and its cache take over"
    # A tampered archive: the checksum file no longer matches.
    tampered="$work/releases/download/v$version/borderline-$dist_target.tar.xz"
    cp "$tampered" "$work/original.tar.xz"
    printf 'x' >>"$tampered"
    rm -rf "$work/home"
    status="$(install_action BORDERLINE_HOME="$work/home" BORDERLINE_VERSION="$version")"
    [ "$status" != 0 ] || fail "a tampered archive was installed"
    grep -q 'SHA-256 is' "$work/install.log" || fail "no checksum error: $(cat "$work/install.log")"
    [ -e "$work/home/bin/borderline" ] && fail "a tampered archive left a binary"
    cp "$work/original.tar.xz" "$tampered"
    pass "a tampered archive is refused (exit $status), no fallback"
    status="$(install_action BORDERLINE_HOME="$work/home" BORDERLINE_VERSION='1.0; touch x')"
    [ "$status" != 0 ] || fail "a version that is not X.Y.Z was accepted"
    pass "a version that is not latest or X.Y.Z is refused"
fi
echo "action scripts: all checks passed"
