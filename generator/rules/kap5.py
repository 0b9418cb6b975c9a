"""Rules of sudden termination (handbook kap. 5): the action plan's steps and the patient letter."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import yaml

from ..case import Source, is_date
from ..errors import Problem
from ..resources import bundled
from .common import Rule

PLAN = "handlingsplan_plotsligt_avslut"
LETTER = "informationsbrev_patienter"
OPEN = {"ej_paborjad": "ej påbörjad", "pagar": "pågår"}
ENDING = {"konkurs": "konkurs", "stangning": "stängning"}


@cache
def handbook_steps() -> dict[int, dict[str, Any]]:
    """The handbook's 19 steps by number, from the template's handbok.yaml (what the document shows)."""
    path = bundled("mallar") / "handlingsplan-plotsligt-avslut" / "handbok.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {int(step["nr"]): step for step in data["steg"]}


def action_plan(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """Each step once; a step left open past its date is late; a step for the other ending is not done;
    a step the handbook names nobody for needs a named person."""
    plan = data.get(PLAN)
    if not isinstance(plan, dict):
        return
    ending, today = plan.get("avslut"), plan.get("datum")
    if plan.get("scenario") == 1 and ending == "konkurs":
        yield src.problem((PLAN, "scenario"), "en konkurs är enligt handboken scenario 2 (oförutsett); scenario 1 gäller ett "
                          "förutsett beslut i nämnden om att säga upp avtalet", warning=True)
    if plan.get("scenario") == 2 and plan.get("forberedelser"):
        yield src.problem((PLAN, "forberedelser"), "förberedelserna inför beslut i nämnd gäller scenario 1 och visas inte "
                          "i en plan för scenario 2", warning=True)
    steps = handbook_steps()
    seen: dict[int, int] = {}
    given: list[Any] = plan["steg"] if isinstance(plan.get("steg"), list) else []
    for index, step in enumerate(given):
        if not isinstance(step, dict) or not isinstance(step.get("nr"), int) or step["nr"] not in steps:
            continue
        number, path = step["nr"], (PLAN, "steg", index)
        handbook = steps[number]
        name = f"steg {number} ({handbook['atgard']})"
        if number in seen:
            yield src.problem((*path, "nr"), f"steg {number} står redan på rad {src.line_of((PLAN, 'steg', seen[number]))}")
            continue
        seen[number] = index
        status = step.get("status")
        if handbook["galler"] not in ("alla", ending) and status not in (None, "ej_aktuell"):
            yield src.problem((*path, "status"), f"{name} gäller bara vid {ENDING[handbook['galler']]}, men avslut är "
                              f"{ending}; sätt status ej_aktuell eller ta bort steget", warning=True)
        elif status in OPEN and is_date(step.get("datum")) and is_date(today) and step["datum"] < today:
            yield src.problem((*path, "datum"), f"{name} skulle vara klart {step['datum'].isoformat()} men {OPEN[status]} "
                              f"fortfarande (planens datum {today.isoformat()})", warning=True)
    for number, handbook in steps.items():
        if handbook["ansvar"] or handbook["galler"] not in ("alla", ending):
            continue
        step = given[seen[number]] if number in seen else {}
        if step.get("status") not in ("klar", "ej_aktuell") and not step.get("ansvarig"):
            where = (PLAN, "steg", seen[number]) if number in seen else (PLAN, "steg")
            yield src.problem(where, f"handboken anger ingen ansvarig för steg {number} ({handbook['atgard']}); "
                              "ange ansvarig för steget", warning=True)


def patient_letter(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The letter tells the same ending as the plan; a closing letter says the last day."""
    letter = data.get(LETTER)
    if not isinstance(letter, dict):
        return
    plan = data.get(PLAN)
    ending = letter.get("avslut")
    if isinstance(plan, dict) and plan.get("avslut") in ENDING and ending in ENDING and ending != plan["avslut"]:
        yield src.problem((LETTER, "avslut"), f"brevet gäller {ENDING[ending]} men handlingsplanen "
                          f"({PLAN}.avslut, rad {src.line_of((PLAN, 'avslut'))}) gäller {ENDING[plan['avslut']]}")
    if ending == "stangning" and not is_date(letter.get("sista_dag")):
        yield src.problem((LETTER, "sista_dag"), "vid stängning ska brevet ange sista dagen mottagningen har öppet")


RULES: list[Rule] = [action_plan, patient_letter]
