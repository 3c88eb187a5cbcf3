"""The `frontdesk` command line: the same use cases as the UI, over services/.

Commands act as a user: `--user NAME` with the PIN from $FRONTDESK_PIN or a prompt, and
the services check that user's role exactly as they do for the UI. Each command group is
one module that registers its parser beside its handlers (`register(commands)`); what they
share is in `cli.common`, and `cli.app` parses, dispatches and maps errors to the exit
status: 0 done, 1 refused (the reason is printed), 2 bad arguments.

A handler returns nothing and raises `domain.errors.BadInput` or `Refused` (or lets a
service's error through) to fail; a command whose errors name a `field` sets
`field_option` beside its handler to say which option sets that field.
"""

from cli.app import GuiLauncher, build_parser, main

__all__ = ["GuiLauncher", "build_parser", "main"]
