"""What the person is told when something fails, mapped once for the whole desktop.

Our errors share one family (domain.errors.FrontdeskError): their text is a sentence for
the person, and they are logged as warnings. Anything else is a bug: the person gets a
plain apology and the log gets the traceback. Widget-free, so the counter session and the
models can use it.
"""

from __future__ import annotations

from domain.errors import FrontdeskError
from domain.log import ui as log
from services.errors import refusal_for

UNEXPECTED = (
    "Something went wrong and the action was not completed. The details are in the log file."
)


def error_sentence(error: BaseException) -> str:
    """A refusal's own sentence, or the plain apology for anything unexpected."""
    if isinstance(error, FrontdeskError) and str(error):
        return str(error)
    refusal = refusal_for(error)
    return UNEXPECTED if refusal is None else str(refusal)


def log_failure(error: BaseException, what: str = "background operation failed") -> None:
    """A refusal as a warning; anything else with its traceback."""
    if isinstance(error, FrontdeskError):
        log.warning("%s", error)
    else:
        log.error(what, exc_info=error)
