#!/usr/bin/env bash
# The borderline Action's install step.
#
#   install.sh release   download the released archive for this runner from GitHub Releases,
#                        verify its SHA-256 against the release's checksum file, put the binary
#                        on PATH. Sets the step output `installed` to true, or to false when the
#                        release has no archive for this runner (then the `build` step runs).
#   install.sh build     build from source with `cargo install --locked` into BORDERLINE_HOME
#                        (the action's own sources when the version asked for is the action's
#                        own, else `--git REPOSITORY --tag vVERSION`), unless actions/cache
#                        restored it; put it on PATH.
#
# Inputs are environment variables, never shell code:
#   BORDERLINE_VERSION     `latest`, `X.Y.Z` or `vX.Y.Z`; empty: the action's own ref when it is
#                          a version tag (`@v0.1.0`), else `latest`
#   GITHUB_ACTION_REF      the ref the workflow's `uses:` names
#   GITHUB_ACTION_PATH     the action's checkout (its Cargo.toml names the repository)
#   BORDERLINE_HOME        where the binary goes (default $RUNNER_TEMP/borderline)
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT: as GitHub Actions sets them
# For tests only:
#   BORDERLINE_RELEASES_URL  instead of REPOSITORY/releases (a file:// directory laid out the same)
#   BORDERLINE_TARGET        instead of the runner's target triple
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}"
home="${BORDERLINE_HOME:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/borderline}"
bin_dir="$home/bin"

output() {
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
}
on_path() {
    if [ -n "${GITHUB_PATH:-}" ]; then
        printf '%s\n' "$bin_dir" >>"$GITHUB_PATH"
    fi
}

# The one place the project's home is written: `repository` in the workspace's Cargo.toml.
repository="$(sed -n 's/^repository *= *"\(https:\/\/[^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)"
own_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)"
if [ -z "$repository" ] || [ -z "$own_version" ]; then
    echo "::error::no repository or version in $action_path/Cargo.toml" >&2
    exit 1
fi

# Which release: the input, else the action's own ref when it is a version tag, else the latest.
version="${BORDERLINE_VERSION:-}"
if [ -z "$version" ]; then
    case "${GITHUB_ACTION_REF:-}" in
        v[0-9]*.[0-9]*.[0-9]*) version="${GITHUB_ACTION_REF#v}" ;;
        *) version=latest ;;
    esac
fi
version="${version#v}"
case "$version" in
    latest | [0-9]*.[0-9]*.[0-9]*) ;;
    *)
        echo "::error::version must be latest or X.Y.Z, got \`$version\`" >&2
        exit 1
        ;;
esac

target="${BORDERLINE_TARGET:-}"
if [ -z "$target" ]; then
    case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
        Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
        Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
        macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
        macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
        Windows/X64) target=x86_64-pc-windows-msvc ;;
        *) target=none ;;
    esac
fi

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    else
        shasum -a 256 "$1" | cut -d ' ' -f 1
    fi
}

install_release() {
    if [ "$target" = none ]; then
        echo "no prebuilt borderline for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: building from source"
        output installed false
        return 0
    fi
    local archive_ext=tar.xz exe=borderline
    case "$target" in
        *windows*)
            archive_ext=zip
            exe=borderline.exe
            ;;
    esac
    local asset="borderline-$target.$archive_ext"
    local releases="${BORDERLINE_RELEASES_URL:-$repository/releases}" url
    if [ "$version" = latest ]; then
        url="$releases/latest/download/$asset"
    else
        url="$releases/download/v$version/$asset"
    fi
    local work
    work="$(mktemp -d)"
    echo "downloading $url"
    # A missing asset (no release yet, or none for this runner) falls back to a build; a
    # download that fails otherwise, or an archive that does not match its checksum, stops here.
    local code
    code="$(curl --proto '=https,file' --tlsv1.2 -sSL -w '%{http_code}' -o "$work/$asset" "$url" || true)"
    if [ "$code" = 404 ] || { [ "${url#file://}" != "$url" ] && [ ! -s "$work/$asset" ]; }; then
        echo "no release asset $asset for version $version: building from source"
        output installed false
        return 0
    fi
    if [ ! -s "$work/$asset" ] || { [ "$code" != 200 ] && [ "$code" != 000 ]; }; then
        echo "::error::downloading $url failed (HTTP $code)" >&2
        exit 1
    fi
    curl --proto '=https,file' --tlsv1.2 -fsSL -o "$work/$asset.sha256" "$url.sha256"
    local expected actual
    expected="$(cut -d ' ' -f 1 <"$work/$asset.sha256")"
    actual="$(sha256_of "$work/$asset")"
    if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
        echo "::error::$asset: SHA-256 is $actual, the release says ${expected:-nothing}" >&2
        exit 1
    fi
    echo "$asset: SHA-256 $actual verified"
    mkdir -p "$work/x" "$bin_dir"
    case "$archive_ext" in
        tar.xz) tar -xJf "$work/$asset" -C "$work/x" ;;
        zip) unzip -q "$work/$asset" -d "$work/x" ;;
    esac
    local found
    found="$(find "$work/x" -type f -name "$exe" | head -n 1)"
    if [ -z "$found" ]; then
        echo "::error::$asset holds no $exe" >&2
        exit 1
    fi
    install -m 755 "$found" "$bin_dir/$exe"
    rm -rf "$work"
    "$bin_dir/$exe" --version
    on_path
    output installed true
}

build() {
    if [ -x "$bin_dir/borderline" ] || [ -x "$bin_dir/borderline.exe" ]; then
        echo "borderline restored from the cache"
    elif [ "$version" = latest ] || [ "$version" = "$own_version" ]; then
        # The action's checkout is the whole repository at the action's ref: build it as is.
        cargo install --locked --root "$home" --path "$action_path/analyzer"
    else
        cargo install --locked --root "$home" --git "$repository" --tag "v$version" borderline
    fi
    "$bin_dir/borderline" --version
    on_path
}

# What the build cache is keyed on: the version asked for, and the sources it would build.
cache_key() {
    local sources
    sources="$(cd "$action_path" && find Cargo.toml Cargo.lock analyzer rules -type f \( -name '*.rs' -o -name '*.toml' -o -name Cargo.lock \) -print |
        LC_ALL=C sort | while IFS= read -r file; do sha256_of "$file"; done | sha256_of /dev/stdin)"
    output build-key "borderline-build-$target-$version-$sources"
    output home "$home"
}

case "${1:-}" in
    release)
        cache_key
        install_release
        ;;
    build) build ;;
    *)
        echo "usage: install.sh release|build" >&2
        exit 2
        ;;
esac
