"""Cleaning of raw prompts, with every step counted in a report.

Each step drops rows for one stated reason, in this order: empty, whitespace-only, empty label,
duplicate, over-long, moderation-flagged, script. The script filter is off by default and, when on,
is an explicit set of allowed writing systems, so dropping non-Latin text (as the study's
character filter effectively did) is a visible choice with its own count.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from routerlab.errors import ConfigError

STUDY_SCRIPTS = frozenset({"Latin"})  # the study kept text it could use: Latin script
NO_LETTERS = "none"  # script of a prompt without letters (digits, emoji, symbols)
_SYMBOLS = re.compile(r"[^\w\s.,!?;:()\-'\"]+")  # the study's character class, as an option


@dataclass(frozen=True)
class CleaningConfig:
    """What :func:`clean_prompts` drops. Defaults keep every script.

    Attributes:
        text_column: column holding the prompt (default ``user_query``).
        label_column: column holding a label; rows with an empty label are dropped when
            ``drop_empty_label`` (ignored when the column is absent).
        drop_empty_label: drop rows whose label is empty (default True).
        dedupe: drop rows whose prompt (outer whitespace stripped) repeats an earlier one.
        max_tokens: drop prompts longer than this many o200k tokens (None: no cap; default 4096).
        moderation_categories: OpenAI moderation categories whose flag drops a row; ``"*"``
            means any flagged row. Default: the violence categories (the study dropped violent
            queries). Applies only when the source has moderation fields.
        drop_toxic: drop rows flagged by ``toxic_chat_tag`` classifiers (default False).
        allowed_scripts: writing systems to keep, by Unicode name prefix (``Latin``,
            ``Cyrillic``, ``Arabic``, ``Han``, ...); a prompt's script is the one most of its
            letters use. None (default) keeps all; :data:`STUDY_SCRIPTS` keeps Latin only.
        keep_no_letter_prompts: keep prompts without letters when filtering scripts.
        strip_symbols: remove emoji and symbols (the study's cleaning) before the other steps;
            the number of rows changed is reported.
    """

    text_column: str = "user_query"
    label_column: str = "label"
    drop_empty_label: bool = True
    dedupe: bool = True
    max_tokens: int | None = 4096
    moderation_categories: tuple[str, ...] = ("violence", "violence/graphic")
    drop_toxic: bool = False
    allowed_scripts: frozenset[str] | None = None
    keep_no_letter_prompts: bool = True
    strip_symbols: bool = False

    def __post_init__(self) -> None:
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1 or None, got {self.max_tokens}")
        if self.allowed_scripts is not None:
            object.__setattr__(
                self, "allowed_scripts", frozenset(s.capitalize() for s in self.allowed_scripts)
            )
            if not self.allowed_scripts:
                raise ConfigError("allowed_scripts is empty; pass None to keep every script")


@dataclass
class CleaningResult:
    """Cleaned rows, the per-step report and the dropped rows with their reason."""

    frame: pd.DataFrame
    report: pd.DataFrame
    dropped: pd.DataFrame = field(repr=False)

    def count(self, step: str) -> int:
        """Rows removed by ``step`` (a name from ``report.step``)."""
        rows = self.report.loc[self.report["step"] == step, "removed"]
        if rows.empty:
            raise KeyError(f"no step {step!r}; steps: {', '.join(self.report['step'])}")
        return int(rows.iloc[0])


@lru_cache(maxsize=65536)
def _char_script(char: str) -> str:
    name = unicodedata.name(char, "")
    if not name:
        return "Unknown"
    first = name.split()[0]
    return {"CJK": "Han", "HANGUL": "Hangul"}.get(first, first.capitalize())


def dominant_script(text: str) -> str:
    """The writing system most letters of ``text`` use (``none`` when it has no letters)."""
    counts = Counter(_char_script(c) for c in text if c.isalpha())
    return counts.most_common(1)[0][0] if counts else NO_LETTERS


def strip_symbols(text: str) -> str:
    """Drop emoji and symbols and collapse whitespace (the study's text cleaning)."""
    return " ".join(_SYMBOLS.sub("", text).split())


def _too_long(text: str, max_tokens: int) -> bool:
    if len(text) <= max_tokens:  # a token covers at least one character: no need to count
        return False
    from routerlab.tokens import count_tokens

    return count_tokens(text) > max_tokens


def clean_prompts(frame: pd.DataFrame, config: CleaningConfig | None = None) -> CleaningResult:
    """Apply the cleaning steps of ``config`` to ``frame`` and count each one."""
    cfg = config or CleaningConfig()
    if cfg.text_column not in frame.columns:
        raise ConfigError(
            f"no prompt column {cfg.text_column!r}; columns are: {', '.join(map(str, frame.columns))}"
        )
    df = frame.copy()
    df[cfg.text_column] = df[cfg.text_column].fillna("").astype(str)
    steps: list[dict[str, object]] = [
        {"step": "input", "removed": 0, "remaining": len(df), "note": "rows read"}
    ]
    dropped: list[pd.DataFrame] = []

    def drop(step: str, mask: pd.Series, note: str) -> None:
        nonlocal df
        mask = mask.astype(bool)
        gone = df[mask].copy()
        gone["dropped_by"] = step
        dropped.append(gone)
        df = df[~mask]
        steps.append({"step": step, "removed": int(mask.sum()), "remaining": len(df), "note": note})

    text = cfg.text_column
    if cfg.strip_symbols:
        cleaned = df[text].map(strip_symbols)
        changed = int((cleaned != df[text]).sum())
        df[text] = cleaned
        steps.append(
            {"step": "strip_symbols", "removed": 0, "remaining": len(df),
             "note": f"{changed} rows changed (emoji and symbols removed)"}
        )  # fmt: skip
    drop("empty", df[text] == "", "no text")
    drop("whitespace_only", df[text].str.strip() == "", "only spaces or newlines")
    if cfg.label_column in df.columns and cfg.drop_empty_label:
        labels = df[cfg.label_column].fillna("").astype(str).str.strip()
        drop("empty_label", labels == "", f"empty {cfg.label_column!r}")
    if cfg.dedupe:
        drop("duplicate", df[text].str.strip().duplicated(), "repeats an earlier prompt")
    if cfg.max_tokens is not None:
        limit = cfg.max_tokens
        drop("over_long", df[text].map(lambda t: _too_long(t, limit)), f"> {limit} o200k tokens")
    drop("moderation", _moderation_mask(df, cfg), _moderation_note(df, cfg))
    if cfg.allowed_scripts is not None:
        allowed = set(cfg.allowed_scripts)
        if cfg.keep_no_letter_prompts:
            allowed.add(NO_LETTERS)
        scripts = df[text].map(dominant_script)
        drop(
            "script",
            ~scripts.isin(allowed),
            f"main script not in {{{', '.join(sorted(cfg.allowed_scripts))}}}",
        )
    else:
        steps.append(
            {"step": "script", "removed": 0, "remaining": len(df), "note": "off: all scripts kept"}
        )
    report = pd.DataFrame(steps, columns=["step", "removed", "remaining", "note"])
    gone_all = pd.concat(dropped) if dropped else frame.iloc[:0].assign(dropped_by="")
    return CleaningResult(df.reset_index(drop=True), report, gone_all)


def _moderation_mask(df: pd.DataFrame, cfg: CleaningConfig) -> pd.Series:
    mask = pd.Series(False, index=df.index)
    if cfg.moderation_categories and "moderation_flagged" in df.columns:
        if "*" in cfg.moderation_categories:
            mask |= df["moderation_flagged"].fillna(False).astype(bool)
        else:
            wanted = set(cfg.moderation_categories)
            cats = df.get("moderation_categories", pd.Series("", index=df.index)).fillna("")
            mask |= cats.map(lambda s: bool(wanted & set(filter(None, str(s).split(",")))))
    if cfg.drop_toxic and "toxic_flagged" in df.columns:
        mask |= df["toxic_flagged"].fillna(False).astype(bool)
    return mask


def _moderation_note(df: pd.DataFrame, cfg: CleaningConfig) -> str:
    if "moderation_flagged" not in df.columns and "toxic_flagged" not in df.columns:
        return "source has no moderation fields"
    parts = []
    if cfg.moderation_categories:
        parts.append("flagged: " + ", ".join(cfg.moderation_categories))
    if cfg.drop_toxic:
        parts.append("toxic_chat_tag flagged")
    return "; ".join(parts) or "off"
