"""One fixed colour per router (and per model), shared by every figure.

A router keeps its colour across notebooks and figures, so "random" in the evaluation curves and
"random" in a bar chart are the same grey. Names not listed get a colour from a spare list chosen
by a stable hash of the name (never Python's per-process ``hash``), so they are stable too.
"""

from __future__ import annotations

import hashlib

ROUTER_COLOURS: dict[str, str] = {
    "always-weak": "#1f77b4",  # blue: the weak model alone
    "always-strong": "#d62728",  # red: the strong model alone
    "random": "#7f7f7f",  # grey: the diagonal to beat
    "length": "#ff7f0e",  # orange
    "indomain-text": "#2ca02c",  # green
    "indomain-subject": "#9467bd",  # purple
    "indomain": "#8c564b",  # brown
    "classifier": "#e377c2",  # pink
    "oracle": "#000000",  # black
    "verbose": "#17becf",  # cyan
    "compact": "#bcbd22",  # olive
    "fixed": "#393b79",  # dark indigo: a fixed-model baseline
    "majority": "#c7c7c7",  # light grey: the constant classifier baseline (notebook 04)
    "tfidf_logreg": "#98df8a",  # light green: the TF-IDF + logistic regression baseline
}
MODEL_COLOURS: dict[str, str] = {
    "gpt-4.1-nano": "#6baed6",
    "gpt-4.1": "#e6550d",
    "o4-mini": "#756bb1",
    "gpt-4-1106-preview": ROUTER_COLOURS["always-strong"],
    "mistralai/Mixtral-8x7B-Instruct-v0.1": ROUTER_COLOURS["always-weak"],
}
_SPARE = (
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#31a354",
    "#756bb1",
    "#636363",
    "#e6550d",
    "#969696",
)
DIAGONAL_COLOUR = "#4d4d4d"
LABELING_A = "#3182bd"  # the study's reference labels
LABELING_B = "#e6550d"  # the judge's labels


def _spare(name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return _SPARE[digest[0] % len(_SPARE)]


def router_colour(name: str) -> str:
    """The colour of router ``name``; ``fixed (...)`` baselines share the fixed colour and
    ``router (compact)``-style labels use the router inside the brackets."""
    if name in ROUTER_COLOURS:
        return ROUTER_COLOURS[name]
    if name.startswith("fixed"):
        return ROUTER_COLOURS["fixed"]
    if name.startswith("router (") and name.endswith(")"):
        return router_colour(name[len("router (") : -1])
    return _spare(name)


def classifier_model_colour(name: str) -> str:
    """The colour of a row of the classifier tables (notebook 04): any fine-tune of ours or the
    mirror's reference MiniLM fine-tune is the ``classifier`` router's colour, the baselines
    their own; anything else (the study's DistilBERT) a stable spare colour."""
    if name in ROUTER_COLOURS:
        return ROUTER_COLOURS[name]
    if name.startswith("finetuned") or "fine-tune" in name:
        return ROUTER_COLOURS["classifier"]
    return _spare(name)


def model_colour(name: str) -> str:
    """The colour of model ``name`` (usage bars)."""
    return MODEL_COLOURS.get(name) or _spare(f"model:{name}")
