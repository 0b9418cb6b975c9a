from __future__ import annotations

from conftest import EXAMPLE


def test_example_validates(cli) -> None:
    result = cli("validate", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "giltigt" in result.stdout
