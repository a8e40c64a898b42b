"""Read-side queries for listing and finding trials (plain SQL over RawDB)."""

from __future__ import annotations

from typing import Any

from evidence.reader import RawDB

LIST_COLUMNS = ("id", "registrations", "title", "conditions", "arms", "enrollment",
                "curation_status", "findings", "updated_at")


def list_trials(db: RawDB, *, condition: str | None = None, intervention: str | None = None,
                registry_id: str | None = None, status: str | None = None,
                flagged: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
    """One row per trial matching every given filter (substring, case-insensitive)."""
    where = ["1=1"]
    params: dict[str, Any] = {}
    if condition:
        where.append("t.id IN (SELECT trial_id FROM condition WHERE lower(name_en) LIKE :c "
                     "OR name_zh LIKE :c)")
        params["c"] = f"%{condition.lower()}%"
    if intervention:
        where.append("t.id IN (SELECT trial_id FROM intervention WHERE lower(name_en) LIKE :iv "
                     "OR name_zh LIKE :iv OR lower(CAST(other_names AS TEXT)) LIKE :iv)")
        params["iv"] = f"%{intervention.lower()}%"
    if registry_id:
        where.append("t.id IN (SELECT trial_id FROM registration WHERE upper(identifier) LIKE :r)")
        params["r"] = f"%{registry_id.upper()}%"
    if status:
        where.append("t.curation_status = :s")
        params["s"] = status
    if flagged:
        where.append("t.id IN (SELECT trial_id FROM finding)")
    sql = ("SELECT t.id, t.title_en, t.title_zh, t.acronym, t.enrollment_actual, "
           "t.enrollment_planned, t.curation_status, t.updated_at FROM trial t WHERE "
           + " AND ".join(where) + " ORDER BY t.id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    trials = db.all(sql, **params)
    if not trials:
        return []
    ids = ",".join(str(int(t["id"])) for t in trials)
    regs: dict[int, list[str]] = {}
    for r in db.all(f"SELECT trial_id, identifier FROM registration WHERE trial_id IN ({ids}) "
                    "ORDER BY trial_id, position"):
        regs.setdefault(r["trial_id"], []).append(r["identifier"])
    conds: dict[int, list[str]] = {}
    for r in db.all(f"SELECT trial_id, name_en, name_zh FROM condition WHERE trial_id IN ({ids}) "
                    "ORDER BY trial_id, position"):
        conds.setdefault(r["trial_id"], []).append(r["name_en"] or r["name_zh"])
    arms: dict[int, list[str]] = {}
    for r in db.all(f"SELECT trial_id, label_en, label_zh, n_randomised FROM arm "
                    f"WHERE trial_id IN ({ids}) ORDER BY trial_id, position"):
        n = r["n_randomised"]
        label = r["label_en"] or r["label_zh"] or "?"
        arms.setdefault(r["trial_id"], []).append(f"{label} (n={n})" if n is not None else label)
    findings: dict[int, str] = {}
    for r in db.all(f"SELECT trial_id, severity, COUNT(*) AS k FROM finding "
                    f"WHERE trial_id IN ({ids}) GROUP BY trial_id, severity "
                    "ORDER BY trial_id, severity"):
        counted = f"{r['k']} {r['severity']}{'s' if r['k'] != 1 else ''}"
        findings[r["trial_id"]] = ", ".join(filter(None, (findings.get(r["trial_id"]), counted)))
    out = []
    for t in trials:
        tid = t["id"]
        title = t["title_en"] or t["title_zh"] or ""
        out.append({
            "id": tid, "registrations": regs.get(tid, []),
            "title": f"{t['acronym']}: {title}" if t["acronym"] else title,
            "conditions": conds.get(tid, []), "arms": arms.get(tid, []),
            "enrollment": t["enrollment_actual"] if t["enrollment_actual"] is not None
            else t["enrollment_planned"],
            "curation_status": t["curation_status"], "findings": findings.get(tid, ""),
            "updated_at": str(t["updated_at"]),
        })
    return out
