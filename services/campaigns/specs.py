"""Reading the campaigns' JSON specs (templates, audiences, campaigns) strictly."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.errors import BadInput

Spec = TypeVar("Spec", bound=BaseModel)


def parse(model: type[Spec], data: Any, what: str, *, prefix: str = "") -> Spec:
    """`data` (parsed JSON) as `model`, in pydantic's JSON mode: text becomes a time or an
    id where the spec says so, nothing else is coerced ("false" is not a bool, "10" not a
    number); unknown keys are refused. A refusal names the key, after `prefix`."""
    if not isinstance(data, dict):
        raise BadInput(f"{what.capitalize()} is a JSON object.")
    try:
        return model.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or what
        raise BadInput(f"{prefix}{where}: {first['msg']}.") from None
