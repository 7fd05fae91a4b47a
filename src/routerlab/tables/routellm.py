"""RouteLLM's recorded MMLU outcomes, registered as the table ``routellm-mmlu`` with its prices.

Models: ``gpt-4-1106-preview`` (strong) and ``mistralai/Mixtral-8x7B-Instruct-v0.1`` (weak), both
5-shot at temperature 0. The RouteLLM models are not in the pool, so their prices travel with the
table: the blended per-token prices the RouteLLM paper used for its cost estimates (Ong et al.,
2024, "RouteLLM: Learning to Route LLMs with Preference Data", §5: GPT-4 about $24.7 and Mixtral
8x7B about $0.24 per 1M tokens, input and output averaged), so input and output share one price.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from routerlab.data import load_mmlu, routellm_outcome_files
from routerlab.errors import DatasetNotFoundError
from routerlab.prices import ModelPrice
from routerlab.tables.outcome_table import OutcomeTable
from routerlab.tables.registry import register_table

ROUTELLM_MMLU = "routellm-mmlu"  # the table name the CLI and notebook accept
ROUTELLM_STRONG = "gpt-4-1106-preview"
ROUTELLM_WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
ROUTELLM_PRICES: dict[str, ModelPrice] = {
    ROUTELLM_STRONG: ModelPrice(24.7, 24.7),
    ROUTELLM_WEAK: ModelPrice(0.24, 0.24),
}
_LETTERS = "ABCD"


def normalise_prompt(text: str) -> str:
    """Collapse runs of whitespace so join keys survive re-wrapping and trailing spaces."""
    return re.sub(r"\s+", " ", str(text)).strip()


def routellm_prompt(question: str, choices: Sequence[str]) -> str:
    """The RouteLLM MMLU prompt: question, lettered choices, ``Answer:``."""
    lines = [question, *(f"{_LETTERS[i]}. {c}" for i, c in enumerate(choices)), "Answer:"]
    return "\n".join(lines)


def _read_csv_any(location: str) -> pd.DataFrame:
    return pd.read_csv(location, keep_default_na=False, dtype=str)


def _contaminated(location: str) -> set[str]:
    if location.startswith(("http://", "https://")):
        frame = pd.read_json(location, lines=True)
        return set(frame["eval_prompt"].astype(str))
    path = Path(location)
    if not path.is_file():
        raise DatasetNotFoundError(f"contamination file not found: {location}")
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            found.add(str(json.loads(line)["eval_prompt"]))
    return found


def load_routellm_mmlu(
    *, drop_contaminated: bool = True, join_gold: bool = True, allow_download: bool = False
) -> OutcomeTable:
    """RouteLLM's recorded MMLU outcomes (14,042 prompts; 14,037 after decontamination).

    ``subject`` comes from the file name; ``answer`` (the gold letter) is joined from MMLU test on
    the whitespace-normalised prompt text; the join coverage is in ``notes``.
    """
    files, contamination = routellm_outcome_files(allow_download=allow_download)
    frames = []
    for location in files:
        subject = Path(location).stem.removeprefix("mmlu_")
        raw = _read_csv_any(location)
        # Row ids by file position: MMLU repeats 105 question texts, so a text hash is not unique.
        raw.insert(0, "id", [f"mmlu/{subject}/{i}" for i in range(len(raw))])
        raw.insert(2, "subject", subject)
        frames.append(raw)
    frame = pd.concat(frames, ignore_index=True)
    notes = [f"{len(frame)} recorded prompts in {len(files)} subject files"]
    if drop_contaminated:
        dirty = _contaminated(contamination)
        keep = ~frame["prompt"].isin(dirty)
        notes.append(f"dropped {int((~keep).sum())} contaminated prompts")
        frame = frame[keep].reset_index(drop=True)
    if join_gold:
        frame, note = _join_gold(frame, load_mmlu("test", allow_download=allow_download))
        notes.append(note)
    models = [c for c in frame.columns if c not in ("id", "prompt", "subject", "answer")]
    return OutcomeTable.from_frame(frame, models, name=ROUTELLM_MMLU, notes=notes)


_PANDAS_NA_STRINGS = {"", "None", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "#N/A", "<NA>"}


def _pandas_na(choice: str) -> str:
    return "nan" if str(choice).strip() in _PANDAS_NA_STRINGS else str(choice)


def _join_gold(frame: pd.DataFrame, mmlu: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    # RouteLLM wrote its prompts from a pandas frame that read choices such as "None" as NaN
    # (printed "nan"), so those choices are keyed the same way.
    keys = [
        (s, normalise_prompt(routellm_prompt(q, [_pandas_na(x) for x in c])))
        for s, q, c in zip(mmlu["subject"], mmlu["question"], mmlu["choices"], strict=True)
    ]
    gold: dict[tuple[str, str], str] = {}
    for key, answer in zip(keys, mmlu["answer"], strict=True):
        letter = _LETTERS[int(answer)]
        # A duplicated question with two different answers cannot be joined: leave it blank.
        gold[key] = letter if gold.get(key, letter) == letter else ""
    answers = [
        gold.get((s, normalise_prompt(p)), "")
        for s, p in zip(frame["subject"], frame["prompt"], strict=True)
    ]
    out = frame.copy()
    out.insert(3, "answer", answers)
    matched = sum(1 for a in answers if a)
    return out, f"gold answer joined for {matched} of {len(out)} prompts"


register_table(ROUTELLM_MMLU, load_routellm_mmlu, prices=ROUTELLM_PRICES, replace=True)
