"""Extracts README's checked snippets into files the validators read, so the snippets a user
copies are the ones that pass. A snippet is a fenced block right after `<!-- checked: KIND -->`.

Usage: python3 .ci/snippets.py README.md OUTDIR  -> OUTDIR/KIND-N.yml
"""
import pathlib
import re
import sys

readme, outdir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
outdir.mkdir(parents=True, exist_ok=True)
pattern = re.compile(r"<!-- checked: ([a-z-]+) -->\n```[a-z]*\n(.*?)```", re.S)
counts = {}
for kind, body in pattern.findall(readme.read_text()):
    counts[kind] = counts.get(kind, 0) + 1
    path = outdir / f"{kind}-{counts[kind]}.yml"
    path.write_text(body)
    print(path)
if not counts:
    sys.exit("no checked snippets found")
