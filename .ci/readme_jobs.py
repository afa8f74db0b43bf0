"""README's pipelines, made to run here against the fake Nodion APIs with as few changes as can be,
so that what README tells a user to copy is what CI runs (.ci/act.sh and .ci/run run them).

  python3 .ci/readme_jobs.py github README.md OUT.yml VERIFY_URL APP=API_URL...
      README's GitHub workflow: the github-workflow snippet with a step that uses
      nodion-deploy/nodion-deploy@REF and a step named "Use the outputs". Changed: the action's
      inputs get `api_url` (the fake serving its application_id), and `verify_url` becomes
      VERIFY_URL (a loopback app). `uses:` stays as README has it: act maps it to the release copy
      (--local-repository), as GitHub maps it to the tag. Prints `OWNER/REPO@REF APPLICATION_ID`.
  python3 .ci/readme_jobs.py gitlab README.md OUTDIR [--drop JOB]... APP=API_URL...
      Each gitlab-ci snippet that deploys: each include of the component becomes
      `local: templates/deploy.yml` with an `api_url` input (the fake serving its application_id),
      and a plain job whose script runs nodion-deploy with NODION_APPLICATION_ID among its
      variables gets NODION_API_URL (that fake) beside it. The jobs --drop names, which cannot run
      here, are removed (each must be in some snippet). Writes OUTDIR/gitlab-ci-N.yml, and prints a
      line per file: the file, then APP=N for each application, N the deployments it should trigger
      (one per deploy, none for one that attaches with deploy_number). A snippet that deploys
      nothing is said and skipped.
Each snippet is loaded, edited and dumped with PyYAML (comments do not survive); a snippet whose
shape is not the one expected fails loudly.
"""
import os
import re
import sys

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in .ci/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scripts_parse import Loader, Map, lines_of, snippets  # noqa: E402

ACTION = re.compile(r"nodion-deploy/nodion-deploy@[^\s/]+")
COMPONENT = re.compile(r"\S*/nodion-deploy/deploy@[^\s/]+")


class Dumper(yaml.SafeDumper):
    """Dumps what Loader read: YAML 1.2 booleans (`on:` stays a plain key), multi-line scripts as
    literal blocks, keys in their order."""


Dumper.yaml_implicit_resolvers = Loader.yaml_implicit_resolvers
Dumper.add_representer(Map, Dumper.represent_dict)
Dumper.add_representer(type(None), lambda d, _: d.represent_scalar("tag:yaml.org,2002:null", ""))
Dumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def fail(message):
    sys.exit(f"readme_jobs.py: {message}")


def dump(doc, header, path):
    with open(path, "w") as f:
        f.write(header + yaml.dump(doc, Dumper=Dumper, sort_keys=False, width=1000))


def apps_to_urls(pairs):
    urls = {}
    for pair in pairs:
        app, _, url = pair.partition("=")
        if not url:
            fail(f"expected APP=API_URL, not {pair!r}")
        urls[app] = url
    return urls


def url_for(urls, app, where):
    if app not in urls:
        fail(f"{where}: no fake API serves application {app!r} (given: {', '.join(urls)})")
    return urls[app]


def github(readme, out, verify_url, *pairs):
    urls = apps_to_urls(pairs)
    found = []
    for kind, n, body, line in snippets(open(readme).read(), readme):
        if kind != "github-workflow":
            continue
        doc = yaml.load(body, Loader=Loader)
        for job_id, job in (doc.get("jobs") or {}).items():
            steps = job.get("steps") or []
            actions = [s for s in steps if ACTION.fullmatch(str(s.get("uses", "")))]
            if actions and any(s.get("name") == "Use the outputs" for s in steps):
                found.append((n, line, doc, job_id, actions))
    if len(found) != 1:
        fail(f"{readme}: expected one github-workflow snippet whose job uses "
             f"nodion-deploy/nodion-deploy@… and has a step named 'Use the outputs', found {len(found)}")
    n, line, doc, job_id, actions = found[0]
    where = f"{readme}:{line} (github-workflow #{n}) jobs.{job_id}"
    if len(actions) != 1:
        fail(f"{where}: expected one step that uses the action, found {len(actions)}")
    inputs = actions[0].get("with")
    missing = [k for k in ("api_token", "application_id", "verify_url", "verify_contains")
               if k not in (inputs or {})]
    if missing or "api_url" in inputs:
        fail(f"{where}: the action's inputs should have api_token, application_id, verify_url and "
             f"verify_contains, and no api_url: {dict(inputs or {})}")
    app = str(inputs["application_id"])
    inputs["api_url"] = url_for(urls, app, where)
    inputs["verify_url"] = verify_url
    dump(doc, f"# {where.split(' jobs.')[0]}, run by .ci/act.sh: api_url added (a fake Nodion API), "
              f"verify_url on a loopback app serving the commit's SHA.\n", out)
    print(actions[0]["uses"], app)


def gitlab(readme, outdir, *args):
    drop, pairs, args = set(), [], list(args)
    while args:
        arg = args.pop(0)
        if arg == "--drop":
            drop.add(args.pop(0))
        else:
            pairs.append(arg)
    urls = apps_to_urls(pairs)
    os.makedirs(outdir, exist_ok=True)
    dropped = set()
    for kind, n, body, line in snippets(open(readme).read(), readme):
        if kind != "gitlab-ci":
            continue
        where = f"{readme}:{line} (gitlab-ci #{n})"
        doc = yaml.load(body, Loader=Loader)
        includes = doc.get("include") or []
        includes = includes if isinstance(includes, list) else [includes]
        triggers = {}
        for i, include in enumerate(includes):
            if not (isinstance(include, Map) and COMPONENT.fullmatch(str(include.get("component")))):
                continue
            inputs = include.get("inputs") or {}
            if "api_url" in inputs or "application_id" not in inputs:
                fail(f"{where}: include[{i}] should give application_id and no api_url: {dict(inputs)}")
            app = str(inputs["application_id"])
            inputs["api_url"] = url_for(urls, app, where)
            includes[i] = {"local": "templates/deploy.yml", "inputs": inputs}
            triggers[app] = triggers.get(app, 0) + (0 if inputs.get("deploy_number") else 1)
        for name, job in doc.items():
            variables = job.get("variables") if isinstance(job, Map) else None
            script = "\n".join(lines_of(job.get("script"), doc)) if isinstance(job, Map) else ""
            if not (isinstance(variables, Map) and "NODION_APPLICATION_ID" in variables
                    and re.search(r"(^|[\s;&|(])nodion-deploy($|\s)", script, re.M)):
                continue
            if "NODION_API_URL" in variables:
                fail(f"{where}: job {name} sets NODION_API_URL already")
            app = str(variables["NODION_APPLICATION_ID"])
            variables["NODION_API_URL"] = url_for(urls, app, where)
            triggers[app] = triggers.get(app, 0) + (0 if variables.get("NODION_DEPLOY_NUMBER") else 1)
        if not triggers:
            print(f"{where}: deploys nothing (no include of the component, no job running "
                  f"nodion-deploy); not run", file=sys.stderr)
            continue
        body_jobs = drop & set(doc)
        for job in body_jobs:
            del doc[job]
            dropped.add(job)
        path = os.path.join(outdir, f"gitlab-ci-{n}.yml")
        without = ", without " + ", ".join(sorted(drop & set(body_jobs))) if drop & set(body_jobs) else ""
        dump(doc, f"# {where}, as .ci/run runs it: the component from templates/deploy.yml, the API "
                  f"a fake{without}.\n", path)
        print(path, *(f"{app}={count}" for app, count in triggers.items()))
    if drop - dropped:
        fail(f"{readme}: no gitlab-ci snippet has the job(s) to drop: {', '.join(sorted(drop - dropped))}")


if __name__ == "__main__":
    commands = {"github": (github, 4), "gitlab": (gitlab, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) < 2 + commands[sys.argv[1]][1]:
        sys.exit(__doc__)
    commands[sys.argv[1]][0](*sys.argv[2:])
