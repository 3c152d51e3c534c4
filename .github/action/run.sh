#!/usr/bin/env bash
# The borderline Action's scan step: one scan, every requested output, the scan's exit code.
#
# Every input arrives in an environment variable (action.yml sets them); none is ever pasted
# into shell code, so a path, a baseline name or extra arguments containing `$(...)`, quotes or
# `;` are data, never commands. Variables:
#   BORDERLINE        the borderline binary (default: `borderline` on PATH)
#   INPUT_PATH        the directory to scan (default `.`)
#   INPUT_FAIL_ON     error|warning|note|never, or empty for the manifest's `policy.fail_on`
#   INPUT_BASELINE    a baseline file, or empty
#   INPUT_CONFIG      a borderline.toml, or empty
#   INPUT_BASELINE_GRAPH  the base branch's map: a fragment (`borderline graph --format json`),
#                     or a directory holding the base branch's checkout of what INPUT_PATH
#                     scans, whose map is drawn first (with the `--date`, `--rules` and
#                     `--variant` of INPUT_ARGS, if any);
#                     the reports then show the transfers the change adds, removes or changes
#   INPUT_ARGS        more arguments for `borderline scan`, split on whitespace (no quoting,
#                     no expansion of any kind)
#   INPUT_SARIF       true: write SARIF for the upload step (its path goes to the step output
#                     `sarif-file`)
#   INPUT_SUMMARY     true: append the Markdown report to $GITHUB_STEP_SUMMARY
#   INPUT_COMMENT     true: on a pull request, post the Markdown report as one comment, or update
#                     the comment an earlier run posted (found by its first line, MARKER below)
#   GH_TOKEN          the token `gh api` uses for the comment
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY,
#   RUNNER_TEMP       as GitHub Actions sets them
set -euo pipefail

readonly MARKER='<!-- borderline -->'
# GitHub refuses a comment body over 65,536 characters; leave room for the marker and a note.
readonly COMMENT_LIMIT=60000

is_true() {
    case "${1:-}" in
        true | True | TRUE | yes | 1) return 0 ;;
        false | False | FALSE | no | 0 | '') return 1 ;;
        *)
            echo "::error::expected true or false, got \`$1\`" >&2
            exit 2
            ;;
    esac
}

borderline="${BORDERLINE:-borderline}"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/borderline-action"
mkdir -p "$out_dir"
sarif_file="$out_dir/borderline.sarif"
markdown_file="$out_dir/borderline.md"
rm -f "$sarif_file" "$markdown_file"

want_sarif=false
want_markdown=false
is_true "${INPUT_SARIF:-false}" && want_sarif=true
is_true "${INPUT_SUMMARY:-false}" && want_markdown=true
want_comment=false
if is_true "${INPUT_COMMENT:-false}"; then
    want_comment=true
    want_markdown=true
fi

output() {
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
}

# `read -a` splits on whitespace only: no globbing, no quotes, no substitution.
extra=()
if [ -n "${INPUT_ARGS:-}" ]; then
    read -r -a extra <<<"$INPUT_ARGS"
fi

# The base branch's map: a fragment file as given, or drawn here from the base branch's checkout.
baseline_graph="${INPUT_BASELINE_GRAPH:-}"
if [ -n "$baseline_graph" ] && [ -d "$baseline_graph" ]; then
    base_fragment="$out_dir/base-graph.json"
    rm -f "$base_fragment"
    graph_args=(graph "$baseline_graph" --format json --quiet -o "$base_fragment")
    # The scan's evaluation date, rule data and variants, so that no verdict differs by them alone.
    for ((i = 0; i < ${#extra[@]}; i++)); do
        case "${extra[$i]}" in
            --date | --rules | --variant) graph_args+=("${extra[$i]}" "${extra[$((i + 1))]:-}") ;;
            --date=* | --rules=* | --variant=*) graph_args+=("${extra[$i]}") ;;
        esac
    done
    echo "borderline ${graph_args[*]}"
    set +e
    "$borderline" "${graph_args[@]}"
    graph_status=$?
    set -e
    if [ "$graph_status" -ne 0 ]; then
        echo "::error::borderline could not draw the base branch's map (exit $graph_status)"
        output exit-code 2
        exit 2
    fi
    baseline_graph="$base_fragment"
fi

args=(scan "${INPUT_PATH:-.}" --format text)
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "$baseline_graph" ] && args+=(--baseline-graph "$baseline_graph")
[ "$want_sarif" = true ] && args+=(--report "sarif=$sarif_file")
[ "$want_markdown" = true ] && args+=(--report "markdown=$markdown_file")

echo "borderline ${args[*]} ${extra[*]+${extra[*]}}"
set +e
# `${extra[@]+...}`: an empty array under `set -u` on the bash 3.2 of macOS runners.
"$borderline" "${args[@]}" ${extra[@]+"${extra[@]}"}
status=$?
set -e
echo "borderline exited with $status"

output exit-code "$status"

if [ "$want_sarif" = true ]; then
    if [ -f "$sarif_file" ]; then
        output sarif-file "$sarif_file"
    else
        echo "::warning::borderline wrote no SARIF (exit $status): nothing to upload"
    fi
fi
if [ "$want_markdown" = true ] && [ -f "$markdown_file" ]; then
    output markdown-file "$markdown_file"
fi

if is_true "${INPUT_SUMMARY:-false}" && [ -f "$markdown_file" ]; then
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        cat "$markdown_file" >>"$GITHUB_STEP_SUMMARY"
    fi
fi

post_comment() {
    if [ "${GITHUB_EVENT_NAME:-}" != pull_request ] && [ "${GITHUB_EVENT_NAME:-}" != pull_request_target ]; then
        echo "comment: not a pull request (${GITHUB_EVENT_NAME:-no event}), no comment"
        return 0
    fi
    if [ ! -f "$markdown_file" ]; then
        echo "::warning::borderline wrote no report (exit $status): no comment"
        return 0
    fi
    local number
    number="$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")"
    if [ -z "$number" ]; then
        echo "::warning::the event has no pull request number: no comment"
        return 0
    fi
    local body="$out_dir/comment.md" payload="$out_dir/comment.json"
    {
        printf '%s\n' "$MARKER"
        if [ "$(wc -c <"$markdown_file")" -gt "$COMMENT_LIMIT" ]; then
            head -c "$COMMENT_LIMIT" "$markdown_file"
            printf '\n\n_Cut here: the report is longer than a comment may be. The whole report is in the job summary and the SARIF upload._\n'
        else
            cat "$markdown_file"
        fi
    } >"$body"
    jq -n --rawfile body "$body" '{body: $body}' >"$payload"
    local existing
    existing="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$number/comments" |
        jq -r --arg marker "$MARKER" '.[] | select(.body | startswith($marker)) | .id' | head -n 1)"
    # The marker is public text: anyone can write a comment that starts with it. Updating one this
    # token may not edit fails; a new comment is posted instead of failing the step.
    if [ -n "$existing" ] &&
        gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" --input "$payload" >/dev/null; then
        echo "comment: updated $existing on pull request $number"
    else
        gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$number/comments" --input "$payload" >/dev/null
        echo "comment: posted on pull request $number"
    fi
}
if [ "$want_comment" = true ]; then
    post_comment
fi

exit "$status"
