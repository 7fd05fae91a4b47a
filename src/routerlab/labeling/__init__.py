"""Labeling pipeline: parse Arena conversations, clean, decontaminate, label with a judge
(live calls or the Batch API, into one resumable checkpoint) and compare labelings."""

from routerlab.labeling.agreement import Agreement, agreement, cohen_kappa
from routerlab.labeling.checkpoint import Checkpoint, normalize_prompt, prompt_key
from routerlab.labeling.cleaning import (
    STUDY_SCRIPTS,
    CleaningConfig,
    CleaningResult,
    clean_prompts,
    dominant_script,
)
from routerlab.labeling.conversations import first_user_turn, parse_conversations, parse_messages
from routerlab.labeling.decontam import MMLUIndex, mark_contaminated, normalize_text
from routerlab.labeling.labeler import (
    LabelConfig,
    LabelRun,
    alabel_prompts,
    label_prompts,
    labels_from_checkpoint,
)
from routerlab.labeling.prompt import STUDY_EXAMPLES, build_messages, render_system_prompt
from routerlab.labeling.schema import label_schema, response_format_param

__all__ = [
    "STUDY_EXAMPLES",
    "STUDY_SCRIPTS",
    "Agreement",
    "Checkpoint",
    "CleaningConfig",
    "CleaningResult",
    "LabelConfig",
    "LabelRun",
    "MMLUIndex",
    "agreement",
    "alabel_prompts",
    "build_messages",
    "clean_prompts",
    "cohen_kappa",
    "dominant_script",
    "first_user_turn",
    "label_prompts",
    "label_schema",
    "labels_from_checkpoint",
    "mark_contaminated",
    "normalize_prompt",
    "normalize_text",
    "parse_conversations",
    "parse_messages",
    "prompt_key",
    "render_system_prompt",
    "response_format_param",
]
