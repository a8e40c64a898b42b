"""Assemble arms, regimens, endpoints, results and harms of an abstract into a draft Record.

English sentences are the primary evidence when both halves are present; the
Chinese half fills the zh side of every Text and is checked against the numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evidence.importers import abstract_facts as facts
from evidence.importers.abstract_layout import SOURCE_KEY, Sentence
from evidence.importers.dosing import extract_regimen
from evidence.recordio import record_from_data, record_to_data
from evidence.records import (
    AdverseEvent,
    Arm,
    ArmCount,
    ArmResult,
    ArmRole,
    Comparison,
    Endpoint,
    EndpointRole,
    Intervention,
    MeasureKind,
    ParamType,
    Population,
    PopulationKind,
    Provenance,
    Record,
    Regimen,
    Source,
    SourceKind,
    Text,
    Timepoint,
    TimeUnit,
)

if TYPE_CHECKING:
    from evidence.importers.abstract import _Builder

_PLACEBO = re.compile(r"^(?:placebo|安慰剂)$", re.IGNORECASE)
_TP_PREFIX = {"week": "w", "month": "m", "day": "d"}
_CORE = ("dose", "route", "frequency", "cycle_on", "cycle_off")
_TEXT_FIELDS = ("dose", "frequency_text", "background", "description")


def _initials(words: str) -> str:
    return "".join(w[0] for w in re.findall(r"[a-z]+", words.lower()))


@dataclass
class _Endpoint:
    key: str
    name: Text
    role: EndpointRole
    provenance: Provenance | None
    abbr: str | None = None
    population: str | None = None
    timepoints: dict[int, str] = field(default_factory=dict)
    tp_unit: str = "week"
    primary_tp: int | None = None
    met: bool | None = None
    met_prov: Provenance | None = None


@dataclass
class _State:
    b: _Builder
    arm_keys: list[str] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=lambda: {"en": {}, "zh": {}})
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)
    regimens: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoints: list[_Endpoint] = field(default_factory=list)
    populations: list[Population] = field(default_factory=list)
    results: dict[tuple[str, str, str | None, str | None], ArmResult] = field(default_factory=dict)
    comparisons: dict[tuple[str, str | None, str | None], Comparison] = field(default_factory=dict)
    counts: dict[tuple[str, str], ArmCount] = field(default_factory=dict)
    events: list[AdverseEvent] = field(default_factory=list)

    # --- arms -------------------------------------------------------------------
    def read_arms(self) -> None:
        per_lang: dict[str, tuple[Sentence, list[facts.ArmMention]]] = {}
        for lang in self.b.langs():
            for sent in self.b.sentences(lang, "methods"):
                found = facts.arm_sizes(sent)
                if len(found) >= 2:
                    per_lang[lang] = (sent, found)
                    break
        en, zh = per_lang.get("en"), per_lang.get("zh")
        if en and zh and [m.n for m in en[1]] != [m.n for m in zh[1]]:
            self.b.notes.append("English and Chinese arm sizes differ; Chinese arms not paired")
            zh = None
        main = en or zh
        if main is None:
            return
        for i, mention in enumerate(main[1]):
            key = facts.slug(mention.label)
            other = zh[1][i] if en and zh else None
            if not key or not key[0].isalnum() or not key.isascii():
                key = "placebo" if _PLACEBO.match(mention.label) else f"arm{i + 1}"
            if key in self.arms:
                key = f"{key}{i + 1}"
            self.arm_keys.append(key)
            lang = "en" if en else "zh"
            self.labels[lang][key] = mention.label
            if other is not None:
                self.labels["zh"][key] = other.label
            self.arms[key] = {"label": Text(en=self.labels["en"].get(key),
                                            zh=self.labels["zh"].get(key)),
                              "n_randomised": mention.n, "provenance": self.b.prov(main[0])}
        has_placebo = any(_PLACEBO.match(t["label"].en or t["label"].zh or "")
                          for t in self.arms.values())
        for arm in self.arms.values():
            label = arm["label"].en or arm["label"].zh or ""
            arm["role"] = (ArmRole.placebo_comparator if _PLACEBO.match(label)
                           else ArmRole.experimental if has_placebo else ArmRole.other)

    def arm_for(self, label: str, lang: str) -> str | None:
        label = re.sub(r"^(?:the|低剂量)\s*", "", label.strip(), flags=re.IGNORECASE)
        for key, known in self.labels[lang].items():
            if known.lower() == label.lower():
                return key
        return None

    # --- regimens ---------------------------------------------------------------
    def read_regimens(self) -> None:
        for lang in self.b.langs():
            for sent in self.b.sentences(lang, "methods"):
                reg = extract_regimen(self.b.printed(sent, 0, len(sent.text)), lang)
                if reg is not None:
                    self.add_regimen(sent, reg, lang)

    def add_regimen(self, sent: Sentence, reg: Regimen, lang: str) -> None:
        mentions = facts.arm_positions(sent.text, self.labels[lang], lang)
        arms = list(dict.fromkeys(key for _, key in mentions)) or list(self.arm_keys)
        stated = {k: v for k, v in reg.model_dump(exclude_none=True).items()
                  if k not in ("provenance", "field_provenance", "description")}
        dose_arm = None
        if reg.dose is not None:
            dose_text = unicodedata.normalize("NFKC", reg.dose.get(lang) or "")
            pos = sent.text.find(dose_text)
            before = [key for p, key in mentions if p < pos]
            dose_arm = before[-1] if before else (arms[0] if len(arms) == 1 else None)
            if dose_arm is None:
                self.b.notes.append(f"dose {reg.dose.get(lang)!r} not tied to one arm; "
                                    "not imported")
        core = any(k in stated for k in _CORE)
        for key in arms:
            state = self.regimens.setdefault(key, {"fields": {}, "field_provenance": {}})
            fields: dict[str, Any] = state["fields"]
            for name, value in stated.items():
                if name in ("dose", "dose_amount", "dose_unit") and key != dose_arm:
                    continue
                if name in _TEXT_FIELDS:
                    merged = {**fields.get(name, {}), **{k: v for k, v in value.items() if v}}
                    fields[name] = merged
                elif name not in fields:
                    fields[name] = value
                    if not core:
                        state["field_provenance"][name] = self.b.prov(sent)
                elif _differs(fields[name], value):
                    self.b.notes.append(f"regimen {name} differs between English and Chinese "
                                        f"({fields[name]} vs {value}); English kept")
            if core and (reg.dose is None or key == dose_arm):
                fields.setdefault("description", {})[lang] = self.b.printed(sent, 0, len(sent.text))
            if core and "provenance" not in state:
                state["provenance"] = self.b.prov(sent)
            if not core:
                for name in stated:
                    if name in _TEXT_FIELDS:
                        state["field_provenance"].setdefault(name, self.b.prov(sent))

        if lang == "zh":
            self.fill_zh(arms, stated)

    def fill_zh(self, arms: list[str], stated: dict[str, Any]) -> None:
        """Give the Chinese wording to arms the English half already gave the same field."""
        for key, state in self.regimens.items():
            fields = state["fields"]
            if key in arms:
                continue
            if "frequency_text" in stated and fields.get("frequency") == stated.get("frequency"):
                zh_text = stated["frequency_text"]["zh"]
                fields.setdefault("frequency_text", {}).setdefault("zh", zh_text)
            if "background" in stated and "background" in fields:
                fields["background"].setdefault("zh", stated["background"]["zh"])

    # --- endpoints --------------------------------------------------------------
    def read_endpoints(self) -> None:
        primary: dict[str, tuple[Sentence, facts.PrimaryEndpoint]] = {}
        for lang in self.b.langs():
            for sent in self.b.sentences(lang, "methods"):
                found = facts.primary_endpoint(sent)
                if found is not None:
                    primary[lang] = (sent, found)
                    break
        if primary:
            first_sent, first = primary.get("en") or primary["zh"]
            name = Text()
            for lang, (_, pe) in primary.items():
                results = " ".join(s.text for s in self.b.sentences(lang, "results"))
                suffix = {"en": " response", "zh": "应答"}[lang]
                respond = pe.abbr is not None and facts.is_response_rate(results, pe.abbr, lang)
                sent = primary[lang][0]
                printed = self.b.printed(sent, *_name_span(sent, pe.name))
                setattr(name, lang, printed + (suffix if respond else ""))
            ep = _Endpoint(key=facts.slug(first.abbr) if first.abbr else "primary", name=name,
                           role=EndpointRole.primary, provenance=self.b.prov(first_sent),
                           abbr=first.abbr, tp_unit=first.unit or "week",
                           primary_tp=first.timepoint)
            if first.timepoint is not None:
                prefix = _TP_PREFIX.get(ep.tp_unit, "t")
                ep.timepoints[first.timepoint] = f"{prefix}{first.timepoint}"
            self.endpoints.append(ep)
            for lang in self.b.langs():
                for sent in self.b.sentences(lang, "results"):
                    met = facts.primary_met(sent)
                    if met is not None and ep.met_prov is None:
                        ep.met, ep.met_prov = met, self.b.prov(sent)
        secondary = any(re.search(r"secondary (?:end ?points?|outcomes?)|次要终点", s.text,
                                  re.IGNORECASE) for lang in self.b.langs()
                        for s in self.b.sentences(lang))
        subgroups: dict[str, list[tuple[Sentence, facts.Subgroup]]] = {}
        for lang in self.b.langs():
            for sent in self.b.sentences(lang, "results"):
                sub = facts.subgroup_outcome(sent)
                if sub is not None and facts.percents(sent, self.labels[lang]):
                    subgroups.setdefault(lang, []).append((sent, sub))
        main_lang = "en" if "en" in subgroups else "zh"
        for i, (sent, sub) in enumerate(subgroups.get(main_lang, [])):
            zh = subgroups.get("zh", [])
            zh_sub = zh[i][1] if main_lang == "en" and i < len(zh) else None
            pop_key = _initials(sub.population) if main_lang == "en" else f"subgroup{i + 1}"
            pop_label = (Text(en=f"patients with {sub.population}", zh=zh_sub.population if zh_sub
                              else None) if main_lang == "en" else Text(zh=sub.population))
            self.populations.append(Population(key=pop_key, label=pop_label,
                                               kind=PopulationKind.subgroup))
            key = f"{pop_key}-{_initials(sub.outcome)}" if main_lang == "en" else f"{pop_key}-ep"
            name = (Text(en=sub.name, zh=zh_sub.name if zh_sub else None) if main_lang == "en"
                    else Text(zh=sub.name))
            self.endpoints.append(_Endpoint(
                key=key, name=name, population=pop_key, provenance=self.b.prov(sent),
                role=EndpointRole.secondary if secondary else EndpointRole.other))

    def endpoint_of(self, sent: Sentence, lang: str, index: dict[str, int]) -> _Endpoint | None:
        for ep in self.endpoints:
            if ep.abbr and re.search(rf"(?<![\w-]){re.escape(ep.abbr)}(?![\w-])", sent.text):
                return ep
        if facts.subgroup_outcome(sent) is not None:
            subs = [ep for ep in self.endpoints if ep.population]
            i = index.get(lang, 0)
            index[lang] = i + 1
            return subs[i] if i < len(subs) else None
        return None

    # --- results ----------------------------------------------------------------
    def read_results(self) -> None:
        index: dict[str, int] = {}
        for lang in self.b.langs():
            for sent in self.b.sentences(lang, "results"):
                for event in facts.serious_events(sent):
                    self.add_event(sent, event, lang)
                ep = self.endpoint_of(sent, lang, index)
                if ep is None:
                    continue
                tp_key = None
                wk = facts.week(sent)
                if wk is not None and ep.population is None:
                    tp_key = ep.timepoints.setdefault(wk, f"{_TP_PREFIX.get(ep.tp_unit, 't')}{wk}")
                pcts = facts.percents(sent, self.labels[lang])
                for pct in pcts:
                    self.add_result(sent, ep, tp_key, pct)
                arms = [k for k in self.arm_keys if any(p.arm == k for p in pcts)]
                pvals = facts.p_values(sent)
                if len(pvals) == 1 and len(arms) >= 2:
                    pv = pvals[0]
                    ckey = (ep.key, tp_key, ep.population)
                    if ckey not in self.comparisons:
                        self.comparisons[ckey] = Comparison(
                            endpoint=ep.key, timepoint=tp_key, population=ep.population,
                            arms=arms, p_reported=self.b.printed(sent, pv.start, pv.end),
                            p_comparator=pv.comparator, p_value=pv.value,
                            provenance=self.b.prov(sent))
                    elif self.comparisons[ckey].p_value != pv.value:
                        self.b.notes.append(f"p-value for {ep.key} differs between halves")

    def add_result(self, sent: Sentence, ep: _Endpoint, tp_key: str | None,
                   pct: facts.Percent) -> None:
        key = (ep.key, pct.arm, tp_key, ep.population)
        if key in self.results:
            if self.results[key].value != float(pct.value):
                self.b.notes.append(f"{ep.key}/{pct.arm}: English and Chinese percentages differ "
                                    f"({self.results[key].value} vs {pct.value}); English kept")
            return
        self.results[key] = ArmResult(
            endpoint=ep.key, arm=pct.arm, timepoint=tp_key, population=ep.population,
            param=ParamType.proportion, reported=self.b.printed(sent, pct.start, pct.end),
            value=float(pct.value), unit="%", events=pct.events, n=pct.n,
            provenance=self.b.prov(sent))
        if ep.population and pct.n is not None and (pct.arm, ep.population) not in self.counts:
            self.counts[(pct.arm, ep.population)] = ArmCount(
                population=ep.population, n=pct.n, provenance=self.b.prov(sent))

    def add_event(self, sent: Sentence, event: facts.SeriousEvent, lang: str) -> None:
        arm = self.arm_for(event.arm_label, lang)
        if arm is None:
            self.b.notes.append(f"serious event arm {event.arm_label!r} not recognised")
            return
        for i, known in enumerate(self.events):
            if known.arm == arm and known.term.get(lang) is None:
                if known.affected != event.affected:
                    self.b.notes.append(f"{event.term}: counts differ between halves")
                term = known.term.model_copy(update={lang: event.term})
                self.events[i] = known.model_copy(update={"term": term})
                return
        self.events.append(AdverseEvent(term=Text.model_validate({lang: event.term}), arm=arm,
                                        serious=True, affected=event.affected,
                                        provenance=self.b.prov(sent)))


def _differs(a: Any, b: Any) -> bool:
    """Whether two parsed values disagree, ignoring the printed wording of durations."""
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a:
        return bool((a["value"], a["unit"]) != (b["value"], b["unit"]))
    return bool(a != b)


def _name_span(sent: Sentence, name: str) -> tuple[int, int]:
    start = sent.text.find(name)
    return start, start + len(name)


def build_record(b: _Builder, locator: str) -> Record:
    """The draft Record of one abstract page, validated like a record file."""
    st = _State(b)
    st.read_arms()
    st.read_regimens()
    st.read_endpoints()
    st.read_results()
    counts: dict[str, list[ArmCount]] = {}
    for (arm_key, _), count in st.counts.items():
        counts.setdefault(arm_key, []).append(count)
    arms = [Arm(key=k, counts=counts.get(k, []), **v) for k, v in st.arms.items()]
    interventions = []
    for key in st.arm_keys:
        state = st.regimens.get(key)
        regimens = []
        if state:
            fields = {k: Text.model_validate(v) if k in _TEXT_FIELDS else v
                      for k, v in state["fields"].items()}
            regimens.append(Regimen(arm=key, provenance=state.get("provenance"),
                                    field_provenance=state["field_provenance"], **fields))
        interventions.append(Intervention(key=key, name=st.arms[key]["label"], arms=[key],
                                          regimens=regimens))
    endpoints = []
    for ep in st.endpoints:
        unit = TimeUnit(ep.tp_unit) if ep.tp_unit in TimeUnit.__members__ else None
        tps = [Timepoint(key=tk, label=Text(en=f"{ep.tp_unit} {v}",
                                            zh=f"第 {v} 周" if ep.tp_unit == "week" else None),
                         value=v, unit=unit) for v, tk in sorted(ep.timepoints.items())]
        has_results = any(r.endpoint == ep.key for r in st.results.values())
        endpoints.append(Endpoint(
            key=ep.key, name=ep.name, role=ep.role, population=ep.population, timepoints=tps,
            measure=MeasureKind.proportion if has_results else MeasureKind.other,
            unit="%" if has_results else None,
            primary_timepoint=ep.timepoints.get(ep.primary_tp) if ep.primary_tp else None,
            met=ep.met, provenance=ep.provenance,
            field_provenance={"met": ep.met_prov} if ep.met_prov else {}))
    langs = b.langs()
    record = Record(
        trial=b.trial(), registrations=b.registrations(), publications=[b.publication()],
        sources=[Source(key=SOURCE_KEY, kind=SourceKind.abstract, locator=locator,
                        language="+".join(langs) or None)],
        populations=st.populations, arms=arms,
        interventions=[iv for iv in interventions if iv.regimens or iv.name],
        endpoints=endpoints, results=list(st.results.values()),
        comparisons=list(st.comparisons.values()), adverse_events=st.events)
    return record_from_data(record_to_data(record), file=locator)
