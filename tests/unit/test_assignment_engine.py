"""The assignment engine (线索分配): a pure decision from the candidate, the rules, the teams,
the holdings and the round-robin cursors."""

from __future__ import annotations

from decimal import Decimal

from services.registration.domain.assignment import AssignmentRule, Candidate, decide

TEAMS = {"east": ["rep-b", "rep-a", "rep-c"], "west": ["rep-w"]}


def rule(name: str, strategy: str = "round_robin", **to_and_when: object) -> AssignmentRule:
    to = {k: to_and_when.pop(k) for k in ("team", "rep") if k in to_and_when}
    return AssignmentRule.model_validate({"name": name, "when": to_and_when, "to": to, "strategy": strategy})


RULES = [
    rule("big", rep="rep-w", min_value=Decimal("100000")),
    rule("shanghai", team="east", region="上海"),
    rule("west", team="west"),
]


def run(candidate: Candidate, rules=RULES, holdings=None, limit=3, cursors=None):
    return decide(candidate, rules, TEAMS, holdings or {}, lambda rep: limit, cursors or {})


def test_the_first_matching_rule_wins_and_the_reasons_say_why_the_earlier_ones_did_not():
    decision = run(Candidate(region="上海", value=Decimal("500")))
    assert (decision.owner_id, decision.rule) == ("rep-a", "shanghai")
    assert decision.reasons == ["big: value 500 is below 100000"]


def test_a_condition_the_candidate_does_not_state_does_not_match():
    decision = run(Candidate(industry="retail"))
    assert decision.rule == "west"
    assert decision.reasons == ["big: value is not given", "shanghai: region is not given (wants 上海)"]


def test_round_robin_cycles_through_the_team_in_a_fixed_order():
    cursors: dict[str, int] = {}
    owners = []
    for _ in range(4):
        decision = run(Candidate(region="上海"), cursors=cursors)
        owners.append(decision.owner_id)
        assert decision.cursor is not None
        cursors[decision.cursor[0]] = decision.cursor[1]
    assert owners == ["rep-a", "rep-b", "rep-c", "rep-a"]


def test_least_loaded_picks_the_emptiest_rep():
    rules = [rule("east", "least_loaded", team="east")]
    decision = run(Candidate(), rules, holdings={"rep-a": 2, "rep-b": 0, "rep-c": 1})
    assert decision.owner_id == "rep-b"
    assert decision.cursor is None


def test_the_holding_limit_skips_a_full_rep_and_says_so():
    decision = run(Candidate(region="上海"), holdings={"rep-a": 3})
    assert decision.owner_id == "rep-b"
    assert decision.reasons == ["big: value is not given", "shanghai: at the holding limit: rep-a"]


def test_nobody_fits_leaves_it_unassigned_with_the_reason_and_asks_no_later_rule():
    decision = run(Candidate(region="上海"), holdings={"rep-a": 3, "rep-b": 3, "rep-c": 5})
    assert (decision.owner_id, decision.rule) == (None, "shanghai")
    assert decision.reasons[-1] == "shanghai: nobody fits, left unassigned"
    assert "rep-a, rep-b, rep-c" in decision.reasons[-2]


def test_no_matching_rule_leaves_it_unassigned():
    decision = run(Candidate(region="北京"), rules=RULES[:2])
    assert (decision.owner_id, decision.rule) == (None, None)
    assert decision.reasons[-1] == "no rule matched, left unassigned"


def test_a_value_range_and_text_conditions_compare_case_insensitively():
    rules = [rule("mid", team="west", source="Trade_Fair", min_value=Decimal("10"), max_value=Decimal("20"))]
    assert run(Candidate(source="trade_fair", value=Decimal("15")), rules).owner_id == "rep-w"
    assert run(Candidate(source="trade_fair", value=Decimal("25")), rules).reasons[0] == "mid: value 25 is above 20"


def test_a_value_in_another_currency_than_the_bounds_meets_no_bound_and_says_so():
    rules = [rule("big-usd", rep="rep-w", min_value=Decimal("100000"), currency="USD")]
    assert run(Candidate(value=Decimal("200000"), currency="USD"), rules).owner_id == "rep-w"
    missed = run(Candidate(value=Decimal("2000000"), currency="CNY"), rules)
    assert missed.owner_id is None
    assert missed.reasons[0] == "big-usd: value is in CNY, the bounds in USD"
    # a rule stored before the bounds had a currency meant the company's own
    assert (
        AssignmentRule.model_validate({"name": "old", "when": {"min_value": "1"}, "to": {"rep": "r"}}).when.currency
        == "CNY"
    )
