"""Code health held like the tests (issue 22): no function in algorithms/, plugin/ or synthetic/ over 60 lines, and every
citation of docs/METHOD.md names one of its sections."""

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_LINES = 60


def python_files(*tops):
    for top in tops:
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(".py"):
                    yield os.path.join(folder, f)


def test_no_function_over_60_lines():
    long = []
    for path in python_files("algorithms", "plugin", "synthetic"):
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_LINES:
                    long.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, "functions over 60 lines:\n" + "\n".join(long)


def test_every_method_citation_names_a_section():
    with open(os.path.join(ROOT, "docs", "METHOD.md"), encoding="utf-8") as fh:
        sections = {m.group(1).strip() for m in re.finditer(r"^## (.+)$", fh.read(), re.M)}
    cited = re.compile(r'METHOD\.md,\s*"([^"]+)"')
    bad = []
    files = list(python_files("algorithms", "plugin", "scripts", "synthetic", "tests"))
    files += [os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md")]
    files.append(os.path.join(ROOT, "README.md"))
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = re.sub(r"\s+", " ", fh.read())  # a citation may be folded over two lines
        for m in cited.finditer(text):
            if m.group(1) not in sections and m.group(1) != "<section>":  # METHOD.md's own example
                bad.append(f"{os.path.relpath(path, ROOT)}: {m.group(1)!r}")
    assert not bad, "citations of sections METHOD.md does not have:\n" + "\n".join(bad)
