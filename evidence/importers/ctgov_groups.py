"""Results groups of a ClinicalTrials.gov study linked to arms, and the baseline and
adverse-event modules, which count participants and events by group."""

from __future__ import annotations

from evidence.importers.ctgov_doc import Obj, locator_of
from evidence.importers.ctgov_state import StudyState
from evidence.importers.ctgov_values import norm_title
from evidence.records import AdverseEvent, Arm, ArmCount, ArmRole, Population, PopulationKind, Text

TOTAL_TITLES = frozenset({"total", "total title"})


class GroupParser(StudyState):
    """Maps results groups to arms; reads the modules that only count by group."""

    def group_map(self, obj: Obj, key: str, path: str) -> dict[str, str | None]:
        """Results group id -> arm key (None for a Total group)."""
        out: dict[str, str | None] = {}
        for item_path, group in self.doc.objs(obj, key, path):
            gid = self.doc.text(group, "id", item_path)
            if not gid:
                raise self.doc.fail(f"{item_path}.id", "results group has no id")
            title = self.doc.text(group, "title", item_path) or gid
            out[gid] = self.arm_for_group(title, group, item_path)
        return out

    def arm_for_group(self, title: str, group: Obj, path: str) -> str | None:
        norm = norm_title(title)
        if norm in self.arm_by_title:
            return self.arm_by_title[norm]
        if norm in TOTAL_TITLES:
            return None
        if norm in self.group_arms:
            return self.group_arms[norm]
        # The registry copies an arm's description into its results groups, so an
        # identical description (of one arm only) links a renamed group to its arm.
        same_text = self.arm_by_description.get(
            norm_title(self.doc.text(group, "description", path) or ""))
        if same_text is not None:
            self.notes.append(f"{locator_of(group, path)}: results group {title!r} matched to arm "
                              f"{same_text!r} by its identical description")
            self.group_arms[norm] = same_text
            return same_text
        key = self.arm_keys.make(title, f"group-{len(self.arms) + 1}")
        if self.arm_by_title:
            why = ("created from a results group whose title matches no registered arm group; "
                   "it may be an arm under another name, a subset or a pooled group")
            self.notes.append(f"{locator_of(group, path)}: results group {title!r} matches no arm "
                              f"group by title; kept as extra arm {key!r} with role other")
        else:
            why = "created from a results group: the study registers no arm groups"
        self.arms.append(Arm(key=key, label=Text(en=title), role=ArmRole.other,
                             description=self.doc.text(group, "description", path),
                             provenance=self.prov(group, path, derivation=why)))
        self.group_arms[norm] = key
        return key

    def baseline(self, mod: Obj, path: str) -> None:
        if not mod:
            return
        groups = self.group_map(mod, "groups", path)
        counts: list[tuple[str, int, Obj, str]] = []
        for denom_path, denom in self.doc.objs(mod, "denoms", path):
            units = self.doc.text(denom, "units", denom_path) or ""
            for count_path, item in self.doc.objs(denom, "counts", denom_path):
                n = self.doc.count(item, "value", count_path)
                arm_key = groups.get(self.doc.text(item, "groupId", count_path) or "")
                if n is None or arm_key is None:
                    continue
                if norm_title(units) != "participants":
                    self.notes.append(f"{count_path}: baseline count in {units!r}, not imported")
                    continue
                counts.append((arm_key, n, item, count_path))
        if counts:
            self.populations.append(Population(
                key="baseline", label=Text(en="baseline population"), kind=PopulationKind.baseline,
                description=self.doc.text(mod, "populationDescription", path)))
        for arm_key, n, item, count_path in counts:
            self.arm(arm_key).counts.append(ArmCount(population="baseline", n=n,
                                                     provenance=self.prov(item, count_path)))
        measures = len(self.doc.items(mod, "measures", path))
        if measures:
            self.notes.append(f"{path}: {measures} baseline measures not imported (the record "
                              "format has no baseline characteristics)")

    def adverse(self, mod: Obj, path: str) -> None:
        if not mod:
            return
        doc = self.doc
        groups = self.group_map(mod, "eventGroups", path)
        default_vocab = doc.text(mod, "sourceVocabulary", path)
        for field, serious in (("seriousEvents", True), ("otherEvents", False)):
            for ev_path, event in doc.objs(mod, field, path):
                term = doc.text(event, "term", ev_path) or ""
                organ = doc.text(event, "organSystem", ev_path)
                vocab = doc.text(event, "sourceVocabulary", ev_path) or default_vocab
                for st_path, stat in doc.objs(event, "stats", ev_path):
                    gid = doc.text(stat, "groupId", st_path) or ""
                    if gid not in groups:
                        raise doc.fail(f"{st_path}.groupId", f"group {gid!r} is not among the "
                                       "event groups")
                    arm_key = groups[gid]
                    if arm_key is None:
                        continue
                    self.adverse_events.append(AdverseEvent(
                        term=Text(en=term), arm=arm_key, serious=serious, organ_system=organ,
                        affected=doc.count(stat, "numAffected", st_path),
                        at_risk=doc.count(stat, "numAtRisk", st_path),
                        events=doc.count(stat, "numEvents", st_path), vocabulary=vocab,
                        provenance=self.prov(stat, st_path)))
