"""Training the classifier router: data preparation, fine-tuning, baselines, metrics, saving.

Heavy libraries (torch, transformers) are imported inside the functions that need them.
"""

from routerlab.training.baselines import majority_baseline, run_baselines, tfidf_logreg_baseline
from routerlab.training.bootstrap import Interval, bootstrap_intervals
from routerlab.training.config import (
    TrainingConfig,
    default_base_model,
    offline_config,
    profile_config,
)
from routerlab.training.io import ModelDirError, load_classifier, read_info, save_classifier
from routerlab.training.metrics import classification_metrics, confusion, per_class_report
from routerlab.training.prepare import DEFAULT_SPLIT, SPLIT_MODES, PreparedData, prepare_data
from routerlab.training.trainer import (
    SelectionLeakError,
    TrainResult,
    check_selection_rows,
    train_classifier,
)

__all__ = [
    "DEFAULT_SPLIT",
    "SPLIT_MODES",
    "Interval",
    "ModelDirError",
    "PreparedData",
    "SelectionLeakError",
    "TrainResult",
    "TrainingConfig",
    "bootstrap_intervals",
    "check_selection_rows",
    "classification_metrics",
    "confusion",
    "default_base_model",
    "load_classifier",
    "majority_baseline",
    "offline_config",
    "per_class_report",
    "prepare_data",
    "profile_config",
    "read_info",
    "run_baselines",
    "save_classifier",
    "tfidf_logreg_baseline",
    "train_classifier",
]
