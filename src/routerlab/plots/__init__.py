"""Plot functions: each returns a matplotlib Figure (nothing is shown or saved here)."""
