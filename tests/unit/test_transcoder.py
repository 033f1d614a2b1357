"""The stored events' transcoder (shared.eventstore.transcoder) reads every document exactly
as eventsourcing's own JSONTranscoder does, and writes the very same bytes: stores written
by either build read in the other."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from services.pipeline.application import PipelineApplication
from services.pipeline.domain.deal import Deal
from services.pipeline.domain.stages import DEFAULT
from shared.eventstore.application import meta
from shared.eventstore.transcoder import OrjsonTranscoder

WHO = meta("rep-1", "corr-1")
AT = datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def app() -> PipelineApplication:
    return PipelineApplication()


@pytest.fixture
def theirs(app) -> JSONTranscoder:
    transcoder = JSONTranscoder()
    app.register_transcodings(transcoder)
    return transcoder


def test_the_services_store_their_events_with_the_orjson_transcoder(app):
    assert type(app.mapper.transcoder) is OrjsonTranscoder


def test_the_transcoder_writes_the_same_bytes_as_eventsourcings(app, theirs):
    state = {"timestamp": AT, "id": uuid4(), "amount": Decimal("12.50"), "on": date(2027, 1, 1), "name": "客户"}
    assert app.mapper.transcoder.encode(state) == theirs.encode(state)


@pytest.mark.parametrize(
    "state",
    [
        {"timestamp": AT, "on": date(2027, 1, 31), "amount": Decimal("199999.99"), "id": uuid4()},
        {"nested": {"deeper": [{"at": AT}, [date(2026, 1, 1), {"id": uuid4()}]]}, "meta": WHO},
        {"items": [], "changes": {}, "none": None, "yes": True, "no": False, "text": '华东 \u2028 "q" \\'},
        {"big": 2**70, "negative": -(2**65), "edge": 2**63, "small": -3, "zero": 0},
        {"ratio": 0.1, "half": 0.5, "exponent": 1e300, "inside": [{"p": 2.5}]},
        {"nan": float("nan"), "infinite": float("inf")},
        {"_type_": "not a marker", "_data_": "three keys", "third": 1},
        {"_type_": "uuid_hex"},
        [AT, {"a": [1, 2, 3]}],
        "a bare string",
        12,
    ],
    ids=lambda state: str(state)[:40],
)
def test_a_document_decodes_as_eventsourcing_decodes_it(app, theirs, state):
    document = theirs.encode(state)
    ours, expected = app.mapper.transcoder.decode(document), theirs.decode(document)
    assert repr(ours) == repr(expected)  # repr: NaN is unequal to itself, and an int must stay an int


def test_a_transcoding_nested_in_another_gets_its_inner_objects_decoded_first(app, theirs):
    document = b'{"x":{"_type_":"uuid_hex","_data_":{"_type_":"decimal_str","_data_":"1"}}}'
    with pytest.raises(AssertionError):  # eventsourcing's uuid_hex asserts it is handed a str
        theirs.decode(document)
    with pytest.raises(AssertionError):
        app.mapper.transcoder.decode(document)


def test_an_unregistered_transcoding_is_refused_as_eventsourcing_refuses_it(app, theirs):
    document = b'{"x":[{"_type_":"money_v9","_data_":"1"}]}'
    with pytest.raises(TranscodingNotRegisteredError):
        theirs.decode(document)
    with pytest.raises(TranscodingNotRegisteredError, match="money_v9"):
        app.mapper.transcoder.decode(document)


def test_every_event_a_deal_records_reads_back_as_eventsourcing_reads_it(app, theirs):
    deal = Deal(
        id=uuid4(),
        name="ERP 上线",
        account_name="ACME",
        owner_id="rep-1",
        amount=Decimal("200000.00"),
        currency="CNY",
        expected_close_date=date(2027, 1, 1),
        source="web",
        upstream=None,
        meta=WHO,
    )
    deal.enter(DEFAULT, AT, None, WHO)
    deal.log_activity("a1", "task", "send the quote", None, AT, AT, WHO)
    deal.log_activity("a2", "note", "called", AT, None, AT, WHO)
    app.save(deal)
    stored = list(app.recorder.select_events(deal.id))
    assert len(stored) == 4
    for event in stored:
        assert repr(app.mapper.transcoder.decode(event.state)) == repr(theirs.decode(event.state))
    assert app.get_deal(deal.id).activities.keys() == {"a1", "a2"}
