"""Loaders that turn recorded multi-model outcome data into tidy DataFrames (one row per prompt)."""
