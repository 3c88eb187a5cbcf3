"""Issue #13: the search boxes take anything typed, FTS5 syntax included (quotes, NEAR,
column filters, a lone *), and answer with rows or none, never an error."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import catalog, invoice_search, patients
from tests.cli.test_cli import dump

FTS5 = st.sampled_from(
    ['"', '""', "NEAR(a b)", "a OR", "OR", "*", "^a", "name:a", "(", ")", "a AND NOT", "-a", "+"]
)
TYPED = st.lists(st.one_of(FTS5, st.text(max_size=6)), max_size=4).map(" ".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TYPED)
def test_any_search_text_finds_rows_or_none(demo_db, text):
    assert isinstance(patients.find_patients(demo_db, text), list)
    assert isinstance(invoice_search.find_invoices(demo_db, text, limit=5), list)
    assert isinstance(catalog.find_items(demo_db, text), list)


def test_searching_writes_nothing(demo_db):
    before = dump(demo_db.path)
    for text in ['"', "NEAR(a b)", "*", "name:x"]:
        patients.find_patients(demo_db, text)
        invoice_search.find_invoices(demo_db, text, limit=5)
    assert dump(demo_db.path) == before
