"""Helpers for the ZeroEval / LLMRouter tests: where the mirror is, and its published table."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirror_path() -> Path:
    return Path(os.environ.get("ROUTERLAB_DATA_MIRROR", str(REPO.parent / "shared" / "data")))


def has(relative: str) -> bool:
    return (mirror_path() / relative).exists()


needs_zeroeval = pytest.mark.skipif(
    not has("zeroeval/crux/SUMMARY.md") or not has("zeroeval/math-l5/SUMMARY.md"),
    reason="data mirror with zeroeval/ not found (set ROUTERLAB_DATA_MIRROR)",
)
needs_llmrouter = pytest.mark.skipif(
    not has("llmrouter/train.json"),
    reason="data mirror with llmrouter/ not found (set ROUTERLAB_DATA_MIRROR)",
)


def format_table(rows: list[tuple[str, float, float]], label: str) -> str:
    lines = [f"{'model':32s} {'published':>9s} {label:>9s} {'diff':>6s}"]
    lines += [f"{m:32s} {p:9.2f} {o:9.2f} {o - p:+6.2f}" for m, p, o in rows]
    return "\n".join(lines)
