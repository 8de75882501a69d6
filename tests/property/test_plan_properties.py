"""Properties of the plan a message is charged for: a connector sends exactly its parts."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.connectors.smpp import SmppUpstream
from smsgate.connectors.smpp_settings import SmppSettings, part_scheme
from smsgate.services.clock import SystemClock
from smsgate.services.plans import PartScheme, plan_for, replan
from smsgate.smpp import tlv
from smsgate.text import Concat
from tests.unit.connectors.messages import outgoing

PRICE = 13
SCHEMES = st.builds(PartScheme, st.sampled_from(list(Concat)), st.booleans())
TEXTS = st.text(alphabet="aZ0 @é€[]{}~ΔЯя😀\n", min_size=1, max_size=700)


def connector(scheme: PartScheme) -> SmppUpstream:
    values = {"host": "127.0.0.1", "port": 1, "system_id": "s", "password": "p"}
    values["concat"] = scheme.concat.value
    values["default_alphabet"] = "latin1" if scheme.latin1 else "gsm7"
    settings_ = SmppSettings.from_json(values)
    assert part_scheme(settings_.to_json()) == scheme
    return SmppUpstream("op", settings_, SystemClock())


@settings(max_examples=300, deadline=None)
@given(TEXTS, SCHEMES, SCHEMES)
def test_a_message_goes_out_as_the_parts_it_is_charged_for(
    text: str, first: PartScheme, second: PartScheme
) -> None:
    planned = plan_for(text, first, max_parts=255)
    message = replace(
        outgoing(text),
        encoding=planned.encoding.value,
        concat=first.concat.value,
        parts=planned.sms_count,
        cost=planned.sms_count * PRICE,
    )
    for scheme in (first, second):
        sent = replan(message, scheme)
        assert replan(sent, scheme) is sent
        assert sent.cost == sent.parts * PRICE
        pdus = connector(scheme).submit_pdus(sent)
        if any(tlv.MESSAGE_PAYLOAD.tag in p.tlvs for p in pdus):
            assert len(pdus) == 1 and scheme.concat is Concat.PAYLOAD
        else:
            assert len(pdus) == sent.parts
