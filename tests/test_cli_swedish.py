"""Click's own texts are Swedish too: the usage line, its errors, the help and version options."""

from __future__ import annotations

from click.testing import CliRunner, Result


def run(*args: str) -> Result:
    from generator.cli import main

    return CliRunner().invoke(main, list(args), prog_name="mallgen")


def test_a_missing_argument() -> None:
    result = run("render")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Användning: mallgen render [FLAGGOR] ÄRENDE.yaml...",
        "Skriv 'mallgen render --help' för hjälp.",
        "",
        "Fel: Saknar argumentet 'ÄRENDE.yaml...'.",
    ]


def test_a_value_that_is_not_among_the_choices_and_a_number_that_is_not_one() -> None:
    assert run("new", "xyz").stderr.splitlines()[-1] == (
        "Fel: Ogiltigt värde för 'TYP': 'xyz' är inte något av 'fordjupad', 'lopande', 'team', 'organisation', 'mall'."
    )
    assert run("report", "--year", "tjugo", "x").stderr.splitlines()[-1] == (
        "Fel: Ogiltigt värde för '--year' / '--ar': 'tjugo' är inte ett giltigt heltal."
    )


def test_an_unknown_command_or_option() -> None:
    result = run("rendr")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Användning: mallgen [FLAGGOR] KOMMANDO [ARGUMENT]...",
        "Skriv 'mallgen --help' för hjälp.",
        "",
        "Fel: Kommandot 'rendr' finns inte. Menade du 'render'?",
    ]
    assert run("render", "--forse", "a.yaml").stderr.splitlines()[-1] == (
        "Fel: Flaggan '--forse' finns inte. (Menade du något av: '--force', '--format'?)")
    assert run("render", "a.yaml", "--format").stderr.splitlines()[-1] == "Fel: Flaggan '--format' kräver ett värde."


def test_help_has_no_english_left() -> None:
    for args in (["-h"], ["render", "-h"], ["validate", "-h"], ["new", "-h"], ["report", "-h"], ["preview", "-h"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert text.startswith("Användning: mallgen "), args
        assert "Flaggor:" in text and "Options" not in text and "Usage" not in text, args
        assert "-h, --help" in text and "Visa den här hjälpen och avsluta." in text, args
        assert "Show this" not in text and "[default:" not in text and "PATH" not in text and "INTEGER" not in text, args
    top = run("-h").stdout
    assert "Kommandon:" in top and "Visa versionen och avsluta." in top
    assert "[standard: output]" in run("render", "-h").stdout
