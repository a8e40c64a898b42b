"""Arms, interventions and planned outcomes from a ClinicalTrials.gov study's protocol section."""

from __future__ import annotations

from evidence.importers.ctgov_doc import Obj
from evidence.importers.ctgov_state import StudyState
from evidence.importers.ctgov_values import ARM_ROLE, code, norm_title
from evidence.records import Arm, ArmRole, Endpoint, EndpointRole, Intervention, Text


class ArmParser(StudyState):
    """Reads armsInterventionsModule and outcomesModule: what the study planned to compare."""

    def arms_and_interventions(self, protocol: Obj, ps: str) -> None:
        doc = self.doc
        path = f"{ps}.armsInterventionsModule"
        mod = doc.obj(protocol, "armsInterventionsModule", ps)
        by_iv_name: dict[str, list[str]] = {}  # "Drug: Placebo" -> arm keys
        for item_path, group in doc.objs(mod, "armGroups", path):
            label = doc.text(group, "label", item_path) or ""
            key = self.arm_keys.make(label, f"arm-{len(self.arms) + 1}")
            raw_role = doc.text(group, "type", item_path)
            role = ARM_ROLE.get(code(raw_role)) if raw_role else None
            if raw_role and role is None:
                self.notes.append(f"{item_path}.type: unknown arm type {raw_role!r}; role other")
            role = role or ArmRole.other
            if "placebo" in label.lower() and role is not ArmRole.placebo_comparator:
                self.notes.append(f"{item_path}: arm {label!r} is typed {raw_role} in the "
                                  "registry, not PLACEBO_COMPARATOR; kept as registered")
            self.arms.append(Arm(key=key, label=Text(en=label), role=role,
                                 description=doc.text(group, "description", item_path),
                                 provenance=self.prov(group, item_path)))
            self.arm_by_title.setdefault(norm_title(label), key)
            description = norm_title(doc.text(group, "description", item_path) or "")
            if description:
                seen = description in self.arm_by_description
                self.arm_by_description[description] = None if seen else key
            for name in doc.texts(group, "interventionNames", item_path):
                by_iv_name.setdefault(norm_title(name), []).append(key)
        for item_path, iv in doc.objs(mod, "interventions", path):
            name = doc.text(iv, "name", item_path) or ""
            kind = doc.text(iv, "type", item_path)
            arm_keys: list[str] = []
            for label in doc.texts(iv, "armGroupLabels", item_path):
                arm_key = self.arm_by_title.get(norm_title(label))
                if arm_key is None:
                    self.notes.append(f"{item_path}.armGroupLabels: {label!r} names no arm group")
                elif arm_key not in arm_keys:
                    arm_keys.append(arm_key)
            # Arms list their interventions as "Type: Name"; the type is spelled
            # "Drug", "Dietary Supplement" there and DRUG, DIETARY_SUPPLEMENT here.
            type_label = (kind or "").replace("_", " ")
            for arm_key in by_iv_name.get(norm_title(f"{type_label}: {name}"), []):
                if arm_key not in arm_keys:
                    arm_keys.append(arm_key)
            self.interventions.append(Intervention(
                key=self.iv_keys.make(name, f"intervention-{len(self.interventions) + 1}"),
                name=Text(en=name), kind=kind.lower() if kind else None,
                description=doc.text(iv, "description", item_path),
                other_names=doc.texts(iv, "otherNames", item_path), arms=arm_keys,
                provenance=self.prov(iv, item_path)))

    def planned_outcomes(self, protocol: Obj, ps: str) -> None:
        path = f"{ps}.outcomesModule"
        mod = self.doc.obj(protocol, "outcomesModule", ps)
        for field, role in (("primaryOutcomes", EndpointRole.primary),
                            ("secondaryOutcomes", EndpointRole.secondary),
                            ("otherOutcomes", EndpointRole.other)):
            for i, (item_path, outcome) in enumerate(self.doc.objs(mod, field, path)):
                title = self.doc.text(outcome, "measure", item_path) or ""
                endpoint = Endpoint(
                    key=f"{role.value}-{i + 1}", name=Text(en=title), role=role,
                    description=self.doc.text(outcome, "description", item_path),
                    time_frame=self.doc.text(outcome, "timeFrame", item_path),
                    provenance=self.prov(outcome, item_path))
                self.endpoints.append(endpoint)
                self.planned.append((norm_title(title), endpoint))
