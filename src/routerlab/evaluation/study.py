"""The study's outputs from an evaluation: files, the per-subject view, claims and prose.

Everything here reads a finished :class:`~routerlab.evaluation.results.Evaluation`
(:func:`routerlab.evaluation.run.run_evaluation`): :func:`save_outputs` writes the metric table,
curves and notes; :func:`per_subject` / :func:`save_per_subject` show where routing helps;
:func:`check_claims` checks the statements the notebook makes on the computed numbers;
:func:`conclusions` writes the summary paragraph from them (no typed-in numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.evaluation.indomain import TEXT_ONLY, WITH_SUBJECT
from routerlab.evaluation.published import PUBLISHED_NO_INDOMAIN
from routerlab.evaluation.results import PROMPT_TEXT, Evaluation, router_label

INDOMAIN_ROUTERS = (TEXT_ONLY, WITH_SUBJECT, "indomain")


def per_subject(evaluation: Evaluation, router: str) -> pd.DataFrame:
    """Per subject on the held-out rows: both models' accuracy, the router's strong-call share
    and accuracy at the operating share, and the PGR it reaches there (where routing helps)."""
    result = evaluation.result(router)
    pair = evaluation.pair
    if result.to_strong is not None:
        to_strong = result.to_strong
    elif result.scores is not None:
        k = round(evaluation.operating_share * pair.n)
        order = np.argsort(-result.scores, kind="stable")
        to_strong = np.zeros(pair.n, dtype=bool)
        to_strong[order[:k]] = True
    else:
        raise ConfigError(f"router {router!r} has neither scores nor decisions")
    routed = np.where(to_strong, pair.strong_out, pair.weak_out)
    frame = pd.DataFrame(
        {
            "subject": evaluation.test_table.frame["subject"].to_numpy(),
            "weak": pair.weak_out,
            "strong": pair.strong_out,
            "routed": routed,
            "to_strong": to_strong.astype(float),
        }
    )
    grouped = frame.groupby("subject").agg(
        n=("weak", "size"),
        q_weak=("weak", "mean"),
        q_strong=("strong", "mean"),
        q_router=("routed", "mean"),
        strong_share=("to_strong", "mean"),
    )
    grouped["gap"] = grouped["q_strong"] - grouped["q_weak"]
    grouped["router"] = router
    return grouped.reset_index().sort_values("gap", ascending=False, ignore_index=True)


def best_learned_router(
    evaluation: Evaluation,
    preference: Sequence[str] = (TEXT_ONLY, "classifier", WITH_SUBJECT, "indomain", "length"),
) -> str | None:
    """The first learned router of ``preference`` that was evaluated (None when none was)."""
    evaluated = {result.name for result in evaluation.results}
    return next((name for name in preference if name in evaluated), None)


def save_per_subject(evaluation: Evaluation, folder: str | Path) -> tuple[Any, pd.DataFrame | None]:
    """Per-subject table and figure of the best learned router, saved under ``folder``.

    Returns ``(figure, table)``, or ``(None, None)`` when no learned router was evaluated.
    """
    from routerlab.plots.evaluation import subject_view

    router = best_learned_router(evaluation)
    if router is None:
        return None, None
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    subjects = per_subject(evaluation, router)
    subjects.to_csv(out / "per_subject.csv", index=False)
    fig = subject_view(subjects)
    fig.savefig(out / "per_subject.png", dpi=120, bbox_inches="tight")
    return fig, subjects


def save_outputs(evaluation: Evaluation, folder: str | Path) -> dict[str, Path]:
    """Write ``metrics.csv``, ``curves.csv`` (every curve point, all routers) and
    ``notes.txt`` under ``folder``; returns the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": out / "metrics.csv",
        "curves": out / "curves.csv",
        "notes": out / "notes.txt",
    }
    evaluation.metrics().to_csv(paths["metrics"], index=False)
    curves = [r.curve.assign(router=r.name) for r in evaluation.results if r.curve is not None]
    if curves:
        pd.concat(curves, ignore_index=True).to_csv(paths["curves"], index=False)
    paths["notes"].write_text("\n".join(evaluation.notes) + "\n", encoding="utf-8")
    return paths


def random_tolerance(n: int) -> float:
    """How far a seed-averaged random APGR may sit from 0.5: 0.02 on the full RouteLLM held-out
    set (12.5k rows), wider on small CI subsets where sampling noise grows like 1/sqrt(n)."""
    return max(0.02, 2.0 / math.sqrt(max(n, 1)))


def _by_router(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    return {
        str(row["router"]): {str(k): v for k, v in row.items()}
        for row in evaluation.metrics().to_dict("records")
    }


def check_claims(evaluation: Evaluation) -> dict[str, bool]:
    """The claims the notebook states, each checked on the computed numbers."""
    m = _by_router(evaluation)
    claims: dict[str, bool] = {}
    tol = random_tolerance(evaluation.pair.n)
    if "random" in m:
        claims[f"random APGR within 0.50 ± {tol:.2f}"] = abs(m["random"]["apgr"] - 0.5) <= tol
        claims[f"random CPT(50%) within 50 ± {100 * tol:.0f} %"] = (
            abs(m["random"]["cpt50"] - 0.5) <= tol
        )
    if "always-weak" in m:
        claims["always-weak scores the weak model's accuracy"] = bool(
            np.isclose(m["always-weak"]["accuracy"], evaluation.pair.q_weak)
        )
    if "always-strong" in m:
        claims["always-strong scores the strong model's accuracy"] = bool(
            np.isclose(m["always-strong"]["accuracy"], evaluation.pair.q_strong)
        )
    for name in INDOMAIN_ROUTERS:
        if name in m and "random" in m:
            claims[f"{router_label(name)} beats random (APGR)"] = (
                m[name]["apgr"] > m["random"]["apgr"]
            )
    if "oracle" in m:
        best = max(r["apgr"] for r in m.values() if r["kind"] == "curve")
        claims["oracle has the highest APGR"] = best <= m["oracle"]["apgr"] + 1e-12
    return {k: bool(v) for k, v in claims.items()}


def _interval(r: Mapping[str, Any], key: str, fmt: str = ".3f") -> str:
    lo, hi = r.get(f"{key}_lo", math.nan), r.get(f"{key}_hi", math.nan)
    if isinstance(lo, float) and np.isfinite(lo) and np.isfinite(hi):
        return f" (95 % CI {lo:{fmt}}–{hi:{fmt}})"
    return ""


def conclusions(evaluation: Evaluation) -> str:
    """A short markdown summary written from the computed metrics (no typed-in numbers)."""
    m = _by_router(evaluation)
    pair = evaluation.pair
    lines = [
        f"On {pair.n:,} held-out prompts the weak model ({pair.weak}) is right on "
        f"{pair.q_weak:.2%} and the strong one ({pair.strong}) on {pair.q_strong:.2%}: "
        f"a gap of {100 * (pair.q_strong - pair.q_weak):.2f} points to recover."
    ]
    curve = {k: r for k, r in m.items() if r["kind"] == "curve" and k != "oracle"}
    prompt_only = {k: r for k, r in curve.items() if r["reads"] == PROMPT_TEXT}
    if prompt_only:
        best = max(prompt_only, key=lambda k: prompt_only[k]["apgr"])
        b = prompt_only[best]
        lines.append(
            f"The best router that reads only the prompt is **{router_label(best)}**: APGR "
            f"{b['apgr']:.3f}{_interval(b, 'apgr')} on the full grid, {b['apgr_qcut10']:.3f} on "
            f"RouteLLM's 10-bin grid; CPT(50 %) {b['cpt50']:.1%}{_interval(b, 'cpt50', '.1%')}."
        )
        if "random" in m:
            r = m["random"]
            lines.append(
                f"Random routing scores APGR {r['apgr']:.3f} (seeds {r['apgr_min']:.3f}–"
                f"{r['apgr_max']:.3f}) and CPT(50 %) {r['cpt50']:.1%}: the diagonal every router "
                "has to beat."
            )
        if "length" in m:
            le = m["length"]
            lines.append(
                f"Sending longer prompts to the strong model scores APGR {le['apgr']:.3f}"
                f"{_interval(le, 'apgr')} (10-bin grid {le['apgr_qcut10']:.3f})."
            )
    for name, w in curve.items():
        if w["reads"] == PROMPT_TEXT:
            continue
        lines.append(
            f"{router_label(name)} scores APGR {w['apgr']:.3f}{_interval(w, 'apgr')}: it reads "
            f"the {w['reads']}, which a gateway never sees, so it is not comparable with "
            "prompt-only routers or with RouteLLM's published results."
        )
    if any(k in m for k in INDOMAIN_ROUTERS):
        lines.append(
            "One train/held-out draw is one sample: the in-domain routers' spread over seeds (and "
            "the protocol-matched comparison with RouteLLM's published APGR) is in the seed table "
            "below, not in this paragraph."
        )
    priced = {k: r for k, r in curve.items() if np.isfinite(r.get("cost_cpt50", math.nan))}
    if priced:
        costs = ", ".join(f"{router_label(k)} {_dollars(r)}" for k, r in sorted(priced.items()))
        lines.append(
            f"Counted in dollars (estimated prices; {_cost_assumption(evaluation)}), recovering "
            f"half the gap costs per 1,000 prompts: {costs}. {_cheapest_sentence(priced)}"
        )
    if "classifier" in m:
        c = m["classifier"]
        lines.append(
            f"The classifier trained on Arena labels (no MMLU data) scores APGR {c['apgr']:.3f}"
            f"{_interval(c, 'apgr')}; on RouteLLM's 10-bin grid {c['apgr_qcut10']:.3f}"
            f"{_interval(c, 'apgr_qcut10')}, beside RouteLLM's best router trained without "
            f"in-domain data, {PUBLISHED_NO_INDOMAIN['apgr']:.3f} (published, on "
            f"{PUBLISHED_NO_INDOMAIN['rows']} rows)."
        )
    if "oracle" in m:
        o = m["oracle"]
        lines.append(
            f"The oracle recovers 80 % of the gap with {o['cpt80']:.1%} strong calls "
            f"(APGR {o['apgr']:.3f}): the headroom left for routers."
        )
    return "\n\n".join(lines)


def _dollars(r: Mapping[str, Any]) -> str:
    """Cost at CPT(50 %) per 1,000 prompts, with its 95 % interval when it was bootstrapped."""
    per_1000 = {k: 1000 * float(r.get(k, math.nan)) for k in ("cost_cpt50_lo", "cost_cpt50_hi")}
    return f"${1000 * r['cost_cpt50']:.2f}{_interval(per_1000, 'cost_cpt50', '.2f')}"


def _cheapest_sentence(priced: Mapping[str, Mapping[str, Any]]) -> str:
    """Name the cheapest router only when its 95 % interval of cost at CPT(50 %) lies below
    every other router's; point estimates alone do not rank routers."""
    cheapest = min(priced, key=lambda k: priced[k]["cost_cpt50"])
    if len(priced) == 1:
        return ""
    hi = float(priced[cheapest].get("cost_cpt50_hi", math.nan))
    others = {
        k: float(r.get("cost_cpt50_lo", math.nan)) for k, r in priced.items() if k != cheapest
    }
    if np.isfinite(hi) and all(np.isfinite(lo) and hi < lo for lo in others.values()):
        return (
            f"**{router_label(cheapest)}** is cheapest: its 95 % interval lies below every "
            "other router's."
        )
    overlapping = [router_label(k) for k, lo in others.items() if not (np.isfinite(hi) and hi < lo)]
    return (
        f"{router_label(cheapest)} has the lowest point estimate, but its interval is not "
        f"separated from {', '.join(overlapping)}'s (or was not computed): no router is shown "
        "to be cheapest."
    )


def _cost_assumption(evaluation: Evaluation) -> str:
    note = next((n for n in evaluation.notes if n.startswith("cost:")), "")
    return note.removeprefix("cost: ") or "cost model unstated"
