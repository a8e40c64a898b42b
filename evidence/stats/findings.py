"""The Finding type shared by every consistency check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement between numbers of a record.

    `severity` is "error" when the numbers cannot all be right (16/29 printed as
    60%), "warning" when a curator should look (a p no standard test reproduces,
    a missing count that can be derived). Passing checks produce no finding.
    `data` holds the machine-readable numbers: reported, recomputed, tests tried.
    """

    check: str
    severity: Severity
    path: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
