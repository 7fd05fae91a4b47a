"""Router evaluation on outcome tables: scoring, baselines, the in-domain router, reports.

The public entry point is :func:`run_evaluation`; :mod:`.scoring` holds the metric definitions
(both threshold grids, bootstrap intervals), :mod:`.comparisons` the seed spread, the comparison
with RouteLLM's published result and the cost ranking, :mod:`.fewshot` the 5-shot prefix priced
into MMLU costs, :mod:`.decontam` the rows a router saw in training.
"""

from routerlab.evaluation.report import (
    Evaluation,
    RouterResult,
    load_decisions,
    per_subject,
    run_evaluation,
)
from routerlab.evaluation.scoring import (
    PairOutcomes,
    bootstrap_curve_metrics,
    cpt,
    curve_metrics,
    policy_curve,
    qcut_curve,
    score_choices,
    threshold_curve,
)

__all__ = [
    "Evaluation",
    "PairOutcomes",
    "RouterResult",
    "bootstrap_curve_metrics",
    "cpt",
    "curve_metrics",
    "load_decisions",
    "per_subject",
    "policy_curve",
    "qcut_curve",
    "run_evaluation",
    "score_choices",
    "threshold_curve",
]
