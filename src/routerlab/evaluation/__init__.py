"""Router evaluation on outcome tables: scoring, baselines, the in-domain router, reports.

The public entry point is :func:`run_evaluation`; :mod:`.scoring` holds the metric definitions.
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
    cpt,
    curve_metrics,
    policy_curve,
    score_choices,
    threshold_curve,
)

__all__ = [
    "Evaluation",
    "PairOutcomes",
    "RouterResult",
    "cpt",
    "curve_metrics",
    "load_decisions",
    "per_subject",
    "policy_curve",
    "run_evaluation",
    "score_choices",
    "threshold_curve",
]
