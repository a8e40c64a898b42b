"""Outcome measures of a ClinicalTrials.gov study's results: endpoints, arm results and
comparisons (statistical analyses)."""

from __future__ import annotations

from evidence.importers.ctgov_doc import Obj, locator_of
from evidence.importers.ctgov_groups import GroupParser
from evidence.importers.ctgov_values import (
    ENDPOINT_ROLE,
    PARAM,
    code,
    dispersion_of,
    norm_title,
    parse_number,
    split_p_value,
)
from evidence.records import (
    ArmResult,
    Comparison,
    Dispersion,
    Endpoint,
    EndpointRole,
    ParamType,
    Population,
    PopulationKind,
    Text,
)


class OutcomeParser(GroupParser):
    """Reads outcomeMeasuresModule: one endpoint per measure, its results and analyses."""

    def endpoint_for(self, index: int, measure: Obj, path: str) -> Endpoint:
        doc = self.doc
        title = doc.text(measure, "title", path) or ""
        raw_type = doc.text(measure, "type", path)
        role = ENDPOINT_ROLE.get(code(raw_type or ""), EndpointRole.other)
        time_frame = doc.text(measure, "timeFrame", path)
        unit = doc.text(measure, "unitOfMeasure", path)
        candidates = [ep for norm, ep in self.planned
                      if norm == norm_title(title) and ep.key not in self.matched]
        # Same title twice (one measure per time point) is resolved by role, then time frame.
        candidates.sort(key=lambda ep: (ep.role is not role, ep.time_frame != time_frame))
        if candidates:
            endpoint = candidates[0]
            self.matched.add(endpoint.key)
            if endpoint.unit is None:
                endpoint.unit = unit
            return endpoint
        endpoint = Endpoint(key=f"results-{index + 1}", name=Text(en=title), role=role,
                            description=doc.text(measure, "description", path),
                            time_frame=time_frame, unit=unit, provenance=self.prov(measure, path))
        self.endpoints.append(endpoint)
        return endpoint

    def population_for(self, measure: Obj, path: str) -> str | None:
        text = self.doc.text(measure, "populationDescription", path)
        if not text:
            return None
        if text not in self.population_by_text:
            key = f"analysis-{len(self.population_by_text) + 1}"
            self.population_by_text[text] = key
            self.populations.append(Population(
                key=key, label=Text(en=f"analysis population {len(self.population_by_text)}"),
                kind=PopulationKind.other, description=text))
        return self.population_by_text[text]

    def denominators(self, obj: Obj, path: str) -> dict[str, int]:
        """groupId -> participants analysed, from the first denominator in participants."""
        denoms = list(self.doc.objs(obj, "denoms", path))
        chosen = next(((p, d) for p, d in denoms
                       if norm_title(self.doc.text(d, "units", p) or "") == "participants"),
                      denoms[0] if denoms else None)
        out: dict[str, int] = {}
        if chosen:
            for count_path, item in self.doc.objs(chosen[1], "counts", chosen[0]):
                gid = self.doc.text(item, "groupId", count_path)
                n = self.doc.count(item, "value", count_path)
                if gid and n is not None:
                    out[gid] = n
        return out

    def outcome_measure(self, index: int, measure: Obj, path: str) -> None:
        doc = self.doc
        endpoint = self.endpoint_for(index, measure, path)
        groups = self.group_map(measure, "groups", path)
        population = self.population_for(measure, path)
        raw_param = doc.text(measure, "paramType", path)
        param = PARAM.get(code(raw_param)) if raw_param else None
        classes = list(doc.objs(measure, "classes", path))
        if param is None:
            if classes:
                self.notes.append(f"{path}: paramType {raw_param!r} unknown or missing; "
                                  "its measurements are not imported")
        else:
            raw_disp = doc.text(measure, "dispersionType", path)
            dispersion = dispersion_of(raw_disp) if raw_disp else None
            unit = doc.text(measure, "unitOfMeasure", path)
            denoms = self.denominators(measure, path)
            for class_path, klass in classes:
                class_denoms = {**denoms, **self.denominators(klass, class_path)}
                class_title = doc.text(klass, "title", class_path)
                for cat_path, category in doc.objs(klass, "categories", class_path):
                    cat_title = doc.text(category, "title", cat_path)
                    label = " / ".join(t for t in (class_title, cat_title) if t) or None
                    for m_path, item in doc.objs(category, "measurements", cat_path):
                        self.measurement(item, m_path, endpoint.key, groups, population, param,
                                         unit, dispersion, class_denoms, label)
        for a_path, analysis in doc.objs(measure, "analyses", path):
            self.analysis(analysis, a_path, endpoint.key, groups, population)

    def measurement(self, item: Obj, path: str, endpoint: str, groups: dict[str, str | None],
                    population: str | None, param: ParamType, unit: str | None,
                    dispersion: tuple[Dispersion, float | None] | None,
                    denoms: dict[str, int], category: str | None) -> None:
        doc = self.doc
        gid = doc.text(item, "groupId", path) or ""
        if gid not in groups:
            raise doc.fail(f"{path}.groupId", f"group {gid!r} is not among the measure's groups")
        arm_key = groups[gid]
        if arm_key is None:
            return
        reported = doc.text(item, "value", path)
        value = parse_number(reported)
        n = denoms.get(gid)
        events = None
        if param is ParamType.count and reported is not None and reported.strip().isdigit():
            events = int(reported.strip())
            if n is not None and events > n:
                self.notes.append(f"{path}: count {events} is more than the {n} analysed; "
                                  "kept as value only, not as events")
                events = None
        spread = doc.text(item, "spread", path)
        low = doc.text(item, "lowerLimit", path)
        high = doc.text(item, "upperLimit", path)
        # The limits as printed; a missing one is not invented ("None to 22.64").
        disp_reported = spread if spread is not None else (
            f"{low} to {high}" if low is not None and high is not None
            else f"lower limit {low}" if low is not None
            else f"upper limit {high}" if high is not None else None)
        comment = doc.text(item, "comment", path)
        if comment:
            self.notes.append(f"{locator_of(item, path)}: comment {comment!r}")
        self.results.append(ArmResult(
            endpoint=endpoint, arm=arm_key, population=population, category=category,
            param=param, reported=reported, value=value, unit=unit, events=events, n=n,
            dispersion=dispersion[0] if dispersion and disp_reported is not None else None,
            dispersion_level=dispersion[1] if dispersion and disp_reported is not None else None,
            dispersion_reported=disp_reported, dispersion_value=parse_number(spread),
            dispersion_low=parse_number(low), dispersion_high=parse_number(high),
            provenance=self.prov(item, path)))

    def analysis(self, analysis: Obj, path: str, endpoint: str, groups: dict[str, str | None],
                 population: str | None) -> None:
        doc = self.doc
        arms: list[str] = []
        for gid in doc.texts(analysis, "groupIds", path):
            if gid not in groups:
                raise doc.fail(f"{path}.groupIds", f"group {gid!r} is not among the measure's "
                               "groups")
            arm_key = groups[gid]
            if arm_key is not None and arm_key not in arms:
                arms.append(arm_key)
        if len(arms) < 2:
            self.notes.append(f"{locator_of(analysis, path)}: analysis of fewer than two arms not "
                              "imported (a comparison needs two)")
            return
        p_text = doc.text(analysis, "pValue", path)
        comparator, p_value = split_p_value(p_text) if p_text else (None, None)
        if p_text and p_value is None:
            self.notes.append(f"{locator_of(analysis, path)}: pValue {p_text!r} is not a p-value "
                              "between 0 and 1; kept as printed only")
        effect = doc.text(analysis, "paramValue", path)
        ci_pct = parse_number(doc.text(analysis, "ciPctValue", path))
        if ci_pct is not None and not 0 < ci_pct < 100:
            self.notes.append(f"{path}.ciPctValue: {ci_pct} is not a CI level; left out")
            ci_pct = None
        ci_low, ci_high = (doc.text(analysis, key, path) for key in ("ciLowerLimit", "ciUpperLimit"))
        ci_reported = (f"{ci_low} to {ci_high}" if ci_low is not None and ci_high is not None
                       else f"lower limit {ci_low}" if ci_low is not None
                       else f"upper limit {ci_high}" if ci_high is not None else None)
        self.comparisons.append(Comparison(
            endpoint=endpoint, population=population, arms=arms, p_reported=p_text,
            ci_reported=ci_reported,
            p_comparator=comparator, p_value=p_value,
            method=doc.text(analysis, "statisticalMethod", path),
            effect_measure=doc.text(analysis, "paramType", path), effect_reported=effect,
            effect_value=parse_number(effect), ci_level=ci_pct,
            ci_low=parse_number(doc.text(analysis, "ciLowerLimit", path)),
            ci_high=parse_number(doc.text(analysis, "ciUpperLimit", path)),
            description=self.analysis_text(analysis, path), provenance=self.prov(analysis, path)))

    def analysis_text(self, analysis: Obj, path: str) -> str | None:
        """The analysis' free text and the fields the record has no place for, labelled."""
        parts = []
        for key, label in (("groupDescription", None), ("pValueComment", "p-value"),
                           ("statisticalComment", "method"), ("estimateComment", "estimate"),
                           ("otherAnalysisDescription", "other"),
                           ("nonInferiorityComment", "non-inferiority")):
            text = self.doc.text(analysis, key, path)
            if text:
                parts.append(f"{label}: {text}" if label else text)
        ni_type = self.doc.text(analysis, "nonInferiorityType", path)
        if ni_type and code(ni_type) not in ("OTHER", "SUPERIORITY"):
            parts.append(f"hypothesis: {ni_type}")
        sides = self.doc.text(analysis, "ciNumSides", path)
        if sides and code(sides) == "ONE_SIDED":
            parts.append("CI: one-sided")
        disp_type = self.doc.text(analysis, "dispersionType", path)
        disp_value = self.doc.text(analysis, "dispersionValue", path)
        if disp_value:
            parts.append(f"dispersion ({disp_type or 'unspecified'}): {disp_value}")
        return "\n".join(parts) or None
