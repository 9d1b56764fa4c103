"""`python -m bot.rasa_server run ...`: Rasa's own command line, with one change made
first. Rasa checks every action server answer with `jsonschema.validate`, which checks
the (large) events schema itself again and builds a new validator on every call: about
a third of Rasa's CPU under load. Here the validator is built once; the schema, the
checks and the error raised are the same."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.__main__ import main
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result


if __name__ == "__main__":
    install()
    sys.exit(main())
