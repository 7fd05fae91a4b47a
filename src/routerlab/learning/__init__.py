"""Routers that learn from recorded outcomes, from prompt text only (issue 11, item 4).

Pure learners on arrays (:mod:`.predictors`), text featurizers (:mod:`.features`), the cost-aware
policy and its calibration (:mod:`.policy`), per-prompt cost predictions (:mod:`.costs`),
cross-validation inside training rows (:mod:`.cv`) and a saveable fitted router (:mod:`.router`),
and one call from outcomes to a calibrated router (:mod:`.train`).
"""

from routerlab.learning.costs import CostModel, prompt_tokens, realised_costs
from routerlab.learning.cv import Selection, brier, cross_val_predict, fold_indices, select
from routerlab.learning.features import (
    ConcatFeaturizer,
    LengthFeaturizer,
    MiniLMFeaturizer,
    TfidfFeaturizer,
    make_featurizer,
)
from routerlab.learning.policy import (
    Calibration,
    OperatingPoint,
    calibrate,
    choose,
    lam_grid,
    operating_point,
    sweep,
)
from routerlab.learning.predictors import (
    Ensemble,
    FactorModel,
    IRTModel,
    KNNPerModel,
    LogisticPerModel,
)
from routerlab.learning.router import OutcomeRouter
from routerlab.learning.train import default_candidates, train_outcome_router

__all__ = [
    "Calibration",
    "ConcatFeaturizer",
    "CostModel",
    "Ensemble",
    "FactorModel",
    "IRTModel",
    "KNNPerModel",
    "LengthFeaturizer",
    "LogisticPerModel",
    "MiniLMFeaturizer",
    "OperatingPoint",
    "OutcomeRouter",
    "Selection",
    "TfidfFeaturizer",
    "brier",
    "calibrate",
    "choose",
    "cross_val_predict",
    "default_candidates",
    "fold_indices",
    "lam_grid",
    "make_featurizer",
    "operating_point",
    "prompt_tokens",
    "realised_costs",
    "select",
    "sweep",
    "train_outcome_router",
]
