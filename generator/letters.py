"""The parts of a letter that come from data: copy list, numbered attachments, the wording that
depends on the case type, and who signs a tjänsteskrivelse. Plain data for the templates; the
partials in mallar/_gemensamt/ lay them out (see mallar/README.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .formatting import person

if TYPE_CHECKING:
    from .templates import DocumentTemplate

# Wording that depends on the case type (`uppfoljning.ramen` etc. in a template), so a routine case
# never reads "inom ramen för en fördjupad uppföljning".
CASE_TYPE_WORDING: dict[str, dict[str, Any]] = {
    "fordjupad": {
        "typ": "fordjupad",
        "fordjupad": True,
        "namn": "fördjupad uppföljning",
        "obestamd": "en fördjupad uppföljning",
        "bestamd": "den fördjupade uppföljningen",
        "ramen": "inom ramen för en fördjupad uppföljning",
        "team": "Teamet för fördjupad uppföljning",
    },
    "lopande": {
        "typ": "lopande",
        "fordjupad": False,
        "namn": "löpande uppföljning",
        "obestamd": "en löpande uppföljning",
        "bestamd": "den löpande uppföljningen",
        "ramen": "inom ramen för den löpande uppföljningen",
        "team": "Teamet för löpande uppföljning",
    },
}


def case_type_wording(data: dict[str, Any]) -> dict[str, Any]:
    kind = (data.get("arende") or {}).get("typ")
    return dict(CASE_TYPE_WORDING.get(str(kind), CASE_TYPE_WORDING["fordjupad"]))


# Words a copy list may use instead of a name (besides the roles under `personer`).
COPY_CODES = ("presidiet", "registrator", "namnd")


def copy_recipient(entry: str, data: dict[str, Any], board_name: str, profile: dict[str, Any]) -> str:
    """One line of "Kopia till": a role under `personer` as that person, the presidium, the
    registrar and the board by name; anything else as written."""
    people = data.get("personer") or {}
    if isinstance(people.get(entry), dict):
        return person(people[entry])
    if entry == "presidiet":
        return f"Presidiet i {board_name}"
    if entry == "registrator":
        return f"Registrator, {profile.get('forvaltning', '')}".rstrip(", ")
    if entry == "namnd":
        return board_name
    return entry


def attachments(section: dict[str, Any], confidential: list[DocumentTemplate]) -> list[dict[str, Any]]:
    """The letter's attachments, numbered: those the section lists (`bilagor`), in order, then its
    confidential attachments (documents of their own, `bilaga_till`), which the list marks."""
    listed = [{"id": item["id"], "titel": item["titel"], "sekretess": False}
              for item in section.get("bilagor") or [] if isinstance(item, dict)]
    listed += [{"id": template.id, "titel": template.title, "sekretess": True} for template in confidential]
    return [{**item, "nummer": number} for number, item in enumerate(listed, 1)]


def letter_context(data: dict[str, Any], section: dict[str, Any], board_name: str, profile: dict[str, Any],
                   confidential: list[DocumentTemplate]) -> dict[str, Any]:
    """`brev` in a template: the resolved copy list, the numbered attachments, the tjänsteskrivelse's signers."""
    signers = ((profile.get("tjansteskrivelse") or {}).get("undertecknare")
               or [p for p in [(data.get("personer") or {}).get("avdelningschef")] if p])
    return {
        "kopia_till": [copy_recipient(entry, data, board_name, profile) for entry in section.get("kopia_till") or []],
        "bilagor": attachments(section, confidential),
        "tjansteskrivelse_undertecknare": [{"namn": s.get("namn"), "titel": s.get("titel")} for s in signers],
    }
