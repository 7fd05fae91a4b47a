"""Router evaluation on outcome tables: scoring, the in-domain learner, results, study outputs.

The public entry point is :func:`run_evaluation` (:mod:`.run`, scoring any registered router);
:mod:`.results` holds what it returns, :mod:`.study` the files, claims and prose written from it;
:mod:`.scoring` holds the metric definitions
(both threshold grids, bootstrap intervals), :mod:`.comparisons` the seed spread, the comparison
with RouteLLM's published result and the cost ranking, :mod:`.fewshot` the 5-shot prefix priced
into MMLU costs, :mod:`.decontam` the rows a router saw in training.
"""

from routerlab.evaluation.results import Evaluation, RouterResult
from routerlab.evaluation.run import load_decisions, run_evaluation
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
from routerlab.evaluation.study import per_subject

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
