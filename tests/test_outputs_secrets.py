"""No secret in committed outputs: rendered notebooks, tables and logs under ``outputs/``.

Keys and tokens reach outputs through printed configs, error messages and request dumps; the
patterns below are the shapes such secrets take (OpenAI keys, bearer headers, URL credentials).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

OUTPUTS = Path(__file__).parents[1] / "outputs"
SECRET_PATTERNS = {
    "OpenAI-style API key": re.compile(rb"\bsk-[A-Za-z0-9_-]{16,}"),
    "bearer token in a header": re.compile(rb"(?i)authorization:\s*bearer\s+\S{8,}"),
    "credentials in a URL": re.compile(rb"[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s@\"']+@"),
    "Hugging Face token": re.compile(rb"\bhf_[A-Za-z0-9]{20,}"),
}
TEXT_SUFFIXES = {".ipynb", ".csv", ".json", ".jsonl", ".txt", ".md", ".html", ".log", ".toml"}


def scan(root: Path) -> list[str]:
    """``path: what`` for every text file under ``root`` that matches a secret pattern."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        data = path.read_bytes()
        found += [f"{path}: {what}" for what, rx in SECRET_PATTERNS.items() if rx.search(data)]
    return found


def test_scan_finds_each_kind_of_secret(tmp_path: Path) -> None:
    leaks = {
        "a.ipynb": b'{"text": "key sk-abcdefghijklmnopqrstuv"}',
        "b.log": b"Authorization: Bearer s3cr3t-token-value",
        "c.json": b'{"backend": "openai-compatible http://user:pw@127.0.0.1:9/v1"}',
        "d.txt": b"hf_ABCDEFGHIJKLMNOPQRSTUVWX",
        "clean.csv": b"model,accuracy\ngpt-4.1,0.8\n",
    }
    for name, data in leaks.items():
        (tmp_path / name).write_bytes(data)
    found = scan(tmp_path)
    assert len(found) == 4 and not any("clean.csv" in f for f in found)


def test_committed_outputs_hold_no_secret() -> None:
    if not OUTPUTS.is_dir():
        pytest.skip("no outputs/ folder in this checkout")
    assert scan(OUTPUTS) == []
