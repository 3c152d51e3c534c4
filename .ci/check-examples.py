#!/usr/bin/env python3
"""The snippets users copy are the files CI validates.

- docs/ci.md holds each docs/examples/*.yml workflow verbatim, as a fenced yaml block;
- the README's GitHub Action step is a run of consecutive lines of docs/examples/borderline.yml,
  and its pre-commit block is docs/examples/pre-commit-config.yaml verbatim;
- every `uses:` of this action, every pre-commit `repo:`/`rev:` and every installer URL names
  the repository and version of the workspace's Cargo.toml (the project's home, set once);
- analyzer/Cargo.toml's cargo-binstall `pkg-url`, rendered for each release target, is an
  archive `dist plan` announces (given its JSON manifest as the first argument), and `bin-dir`
  is where that archive holds the binary (checked on the tarballs `dist build` wrote, given their
  directory as the second argument).
The schemas themselves are checked by check-jsonschema and pre-commit in .ci/run.
"""
import json
import pathlib
import re
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
errors = []


def fenced_blocks(text, lang):
    return [m.group(1) for m in re.finditer(r"^```" + lang + r"\n(.*?)^```$", text, re.S | re.M)]


workspace = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["package"]
repository = workspace["repository"]
version = workspace["version"]
slug = repository.removeprefix("https://github.com/")

readme = (root / "README.md").read_text()
ci = (root / "docs/ci.md").read_text()
examples = root / "docs/examples"

# docs/ci.md: every example workflow, verbatim.
ci_blocks = fenced_blocks(ci, "yaml")
for workflow in sorted(examples.glob("borderline*.yml")):
    if workflow.read_text() not in ci_blocks:
        errors.append(f"docs/ci.md has no yaml block equal to {workflow.relative_to(root)}")

# README: the Action step is consecutive lines of the example workflow; the pre-commit block is
# the example config.
readme_blocks = fenced_blocks(readme, "yaml")
action_example = (examples / "borderline.yml").read_text()
action_blocks = [b for b in readme_blocks if f"uses: {slug}@" in b]
if not action_blocks:
    errors.append("README.md has no yaml block with the Action's `uses:` step")
for block in action_blocks:
    if block not in action_example:
        errors.append("README.md's Action step is not a part of docs/examples/borderline.yml:\n" + block)
pre_commit_example = (examples / "pre-commit-config.yaml").read_text()
if pre_commit_example not in readme_blocks:
    errors.append("README.md has no yaml block equal to docs/examples/pre-commit-config.yaml")

# The repository and version everywhere a user copies them from.
texts = {
    "README.md": readme,
    "docs/ci.md": ci,
    **{str(p.relative_to(root)): p.read_text() for p in examples.iterdir()},
}
for name, text in texts.items():
    for uses in re.findall(r"uses: ([\w.-]+/[\w.-]+)@(\S+)", text):
        if uses[0].lower() == slug.lower() and uses != (slug, f"v{version}"):
            errors.append(f"{name}: `uses: {uses[0]}@{uses[1]}`, expected {slug}@v{version}")
    for repo in re.findall(r"repo: (https://\S+)", text):
        if repo != repository:
            errors.append(f"{name}: pre-commit `repo: {repo}`, expected {repository}")
    for rev in re.findall(r"^\s*rev: (\S+)", text, re.M):
        if rev != f"v{version}":
            errors.append(f"{name}: pre-commit `rev: {rev}`, expected v{version}")
    for url in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+/releases/\S*", text):
        if not url.startswith(repository + "/releases/"):
            errors.append(f"{name}: {url} is not under {repository}")

# cargo-binstall: pkg-url rendered for every target names an archive dist releases.
if len(sys.argv) > 1:
    plan = json.loads(pathlib.Path(sys.argv[1]).read_text())
    artifacts = set(plan["artifacts"])
    analyzer = tomllib.loads((root / "analyzer/Cargo.toml").read_text())
    binstall = analyzer["package"]["metadata"]["binstall"]
    suffixes = {"txz": ".tar.xz", "zip": ".zip", "tgz": ".tar.gz"}
    targets = sorted({t for a in plan["artifacts"].values() if a.get("kind") == "executable-zip" for t in a["target_triples"]})
    if not targets:
        errors.append("dist plan announces no archives")
    for target in targets:
        override = binstall.get("overrides", {}).get(target, {})
        fmt = override.get("pkg-fmt", binstall["pkg-fmt"])
        url = override.get("pkg-url", binstall["pkg-url"])
        url = (url.replace("{ repo }", repository).replace("{ version }", version)
               .replace("{ target }", target).replace("{ archive-suffix }", suffixes[fmt]))
        name = url.removeprefix(f"{repository}/releases/download/v{version}/")
        if name not in artifacts:
            errors.append(f"binstall pkg-url for {target} is {url}; dist releases no {name}")
        archive = plan["artifacts"].get(name, {})
        if archive.get("checksum") is None:
            errors.append(f"dist plan gives {name} no checksum")
        # Where the binary is inside the archive: dist's tarballs hold a directory named after
        # the archive, its zips are flat (checked on a real tarball below).
        exe = next((a["path"] for a in archive.get("assets", []) if a.get("kind") == "executable"), None)
        root_dir = "" if fmt == "zip" else name.removesuffix(suffixes[fmt]) + "/"
        bin_dir = (override.get("bin-dir", binstall["bin-dir"]).replace("{ target }", target)
                   .replace("{ bin }", "borderline").replace("{ binary-ext }", ".exe" if "windows" in target else ""))
        if exe is None or bin_dir != root_dir + exe:
            errors.append(f"binstall bin-dir for {target} is {bin_dir}; the archive holds {root_dir}{exe}")

# A tarball dist built here (second argument): its layout is the one assumed above.
if len(sys.argv) > 2:
    import tarfile
    for tarball in sorted(pathlib.Path(sys.argv[2]).glob("borderline-*.tar.xz")):
        stem = tarball.name.removesuffix(".tar.xz")
        with tarfile.open(tarball) as archive:
            if f"{stem}/borderline" not in archive.getnames():
                errors.append(f"{tarball.name} holds no {stem}/borderline: {archive.getnames()}")

for error in errors:
    print(f"error: {error}", file=sys.stderr)
if errors:
    sys.exit(1)
print("examples: docs/ci.md, README.md and the binstall metadata match the validated files")
