"""Outcome tables for 2..N models and the registry of named table sources.

``from routerlab.tables import OutcomeTable, load_table`` is the import path everyone uses.
:mod:`.outcome_table` holds the type, :mod:`.csv_io` CSV read/write, :mod:`.registry` the named sources,
:mod:`.routellm` the RouteLLM MMLU table (registered as ``routellm-mmlu`` on import).
"""

from routerlab.tables.csv_io import read_outcome_csv, write_outcome_table
from routerlab.tables.outcome_table import (
    COST_SEP,
    EXTRAS,
    KNOWN_METADATA,
    OutcomeTable,
    prompt_id,
)
from routerlab.tables.registry import (
    load_outcome_table,
    load_table,
    register_table,
    table_names,
    table_prices,
    unregister_table,
)
from routerlab.tables.routellm import (
    ROUTELLM_MMLU,
    ROUTELLM_PRICES,
    ROUTELLM_STRONG,
    ROUTELLM_WEAK,
    load_routellm_mmlu,
    routellm_prompt,
)

__all__ = [
    "COST_SEP",
    "EXTRAS",
    "KNOWN_METADATA",
    "ROUTELLM_MMLU",
    "ROUTELLM_PRICES",
    "ROUTELLM_STRONG",
    "ROUTELLM_WEAK",
    "OutcomeTable",
    "load_outcome_table",
    "load_routellm_mmlu",
    "load_table",
    "prompt_id",
    "read_outcome_csv",
    "register_table",
    "routellm_prompt",
    "table_names",
    "table_prices",
    "unregister_table",
    "write_outcome_table",
]

# Registers the mirror's multi-model tables (zeroeval-crux, zeroeval-math-l5, llmrouter); it
# reads nothing until one is loaded.
from routerlab.tables import sources as _sources  # noqa: F401
