"""Effect sizes, significance tests and number-consistency checks: pure functions on a Record.

scipy is imported inside the functions that need it, so importing this package is cheap.
"""

from evidence.stats.checks import run_checks
from evidence.stats.effects import Effect
from evidence.stats.findings import Finding
from evidence.stats.rows import EffectRow, effect_table
from evidence.stats.tables import TestResult

__all__ = ["Effect", "EffectRow", "Finding", "TestResult", "effect_table", "run_checks"]
