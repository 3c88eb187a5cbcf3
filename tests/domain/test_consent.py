"""What a reply means (domain.consent, rules 3 to 5)."""

import pytest

from domain.consent import ReplyKind, classify_reply, lifted_by_grant, notice


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", ReplyKind.OPT_OUT),
        ("stop", ReplyKind.OPT_OUT),
        ("  Stop. ", ReplyKind.OPT_OUT),
        ("STOP please, no more offers", ReplyKind.OPT_OUT),
        ("Unsubscribe", ReplyKind.OPT_OUT),
        ("opt out", ReplyKind.OPT_OUT),
        ("OPTOUT", ReplyKind.OPT_OUT),
        ("रोकें", ReplyKind.OPT_OUT),
        ("START", ReplyKind.OPT_IN),
        ("unstop", ReplyKind.OPT_IN),
        ("Yes, book me for Saturday", ReplyKind.REPLY),
        ("Don't stop", ReplyKind.REPLY),
        ("stopped by yesterday, thanks", ReplyKind.REPLY),
        ("", ReplyKind.REPLY),
    ],
)
def test_a_reply_is_an_opt_out_only_when_it_starts_with_an_opt_out_word(body, kind):
    assert classify_reply(body) is kind


def test_only_an_unsubscribe_is_lifted_by_a_new_consent():
    assert lifted_by_grant("unsubscribed")
    assert not lifted_by_grant("bounced") and not lifted_by_grant("manual")


def test_the_notice_says_how_to_withdraw():
    text = notice("promotional", "sms", "Glow Clinic")
    assert text.startswith("Glow Clinic may send you offers and reminders by SMS.")
    assert "Reply STOP" in text
