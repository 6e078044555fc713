"""Shared helpers: the CLI built beside the package, the corpus as documents."""
import json
import os
import subprocess

import pytest

ROOT = os.environ.get("NEARDUP_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("NEARDUP_CLI", os.path.join(ROOT, "build", "neardup"))
SHARED = os.environ.get("NEARDUP_SHARED", os.path.join(ROOT, "..", "shared"))


def run_cli(*args, stdin=None):
    """The CLI's standard output (bytes); a non-zero exit fails the test."""
    out = subprocess.run([CLI, *args], input=stdin, capture_output=True, check=False)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout


def cli_records(*args):
    return [json.loads(line) for line in run_cli(*args).decode().splitlines()]


def feed_inputs():
    feeds = os.path.join(ROOT, "corpus", "feeds")
    return [os.path.join(feeds, d) for d in sorted(os.listdir(feeds))]


def text_docs(inputs):
    """Documents as the CLI reads directory INPUTs: files in byte-wise sorted
    order, id = INPUT/NAME, source = the INPUT argument."""
    docs = []
    for inp in inputs:
        for name in sorted(os.listdir(inp), key=os.fsencode):
            path = os.path.join(inp, name)
            with open(path, "rb") as f:
                docs.append({"id": path, "text": f.read(), "source": inp})
    return docs


def jsonl_docs(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                docs.append(json.loads(line))
    return docs


@pytest.fixture(scope="session")
def feeds():
    inputs = feed_inputs()
    return inputs, text_docs(inputs)
