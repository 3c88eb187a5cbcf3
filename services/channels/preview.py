"""The preview channel (issue #16): each message is written to a folder as a small text
file named by its execution, so the demo shows what would go out without any account."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from services.channels.base import OutgoingMessage, Sent, TryAgain


@dataclass(frozen=True)
class PreviewSettings:
    """The folder messages are written to ("" = next to the database, in sent-messages/)."""

    folder: str = ""


class PreviewChannel:
    """Writes each message to `folder`, once: a second write of the same execution keeps
    the first file."""

    def __init__(self, folder: Path, name: str = "preview") -> None:
        self.folder = folder
        self.name = name

    def close(self) -> None:
        """Nothing is kept open between messages."""

    def send(self, message: OutgoingMessage) -> Sent:
        reference = message.reference or "message"
        path = self.folder / f"{reference}.txt"
        lines = [f"To: {message.recipient}", f"Channel: {self.name}"]
        if message.subject:
            lines.append(f"Subject: {message.subject}")
        lines += ["", message.text, ""]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return Sent(provider_id=path.name)
        except OSError as exc:
            raise TryAgain(f"The preview folder {self.folder} cannot be written ({exc}).") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines))
        return Sent(provider_id=path.name)
