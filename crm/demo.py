"""`crm demo` and the embedded POST /demo: the 新城百货 story and a few hundred generated deals,
recorded through the services' public APIs exactly as people would record them (crm/demo_data.py
says what; crm/demo_http.py how the APIs are reached). Nothing is written to a store directly.

Time: every event carries the serving process's clock, so nothing can be recorded in the past
(and the services refuse a close date in the past). What can be back-dated is: activities
(`occurred_at`, up to three months back); the rest is spread forward instead, open deals over
eleven months of expected close dates, so the forecast and the reports have months to show.
The wins and losses are all closed on the day of the run.

Once only: the run first looks for the story deal and, when it is there, records nothing. A
generated deal whose account is already registered (409) is left as it stands.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm.demo_data import (
    ADMIN,
    MANAGER,
    REP,
    STORY_ACCOUNT,
    STORY_ACTIVITIES,
    STORY_AMOUNT,
    STORY_CLOSE_DAYS,
    STORY_DEAL,
    STORY_EXTENDED_CLOSE_DAYS,
    STORY_MOVES,
    TEAMS,
    Activity,
    DealPlan,
    plans,
    target_periods,
)
from crm.demo_http import Answer, Caller

DEFAULT_DEALS, DEFAULT_SEED = 300, 14
AT_ONCE = 8  # deals recorded side by side: enough to overlap the waits for the pipeline


class DemoError(RuntimeError):
    """A service refused something the demo expected it to take."""


def as_user(user_id: str, role: str = "rep", teams: tuple[str, ...] = ()) -> dict[str, str]:
    headers = {"X-User-Id": user_id, "X-User-Role": role}
    return {**headers, "X-User-Teams": ",".join(teams)} if teams else headers


ADMIN_HEADERS = as_user(ADMIN, "admin")


def _expect(answer: Answer, *statuses: int, doing: str) -> Any:
    if answer.status not in statuses:
        raise DemoError(f"{doing}: {answer!r}")
    return answer.json()


class Demo:
    def __init__(self, call: Caller, today: date | None = None, timeout: float = 120.0) -> None:
        self.call = call
        self.today = today or datetime.now(UTC).date()
        self.timeout = timeout

    async def loaded(self) -> str | None:
        """The story deal's id when an earlier run recorded it."""
        answer = await self.call("GET", "/pipeline/deals", ADMIN_HEADERS, query={"q": STORY_DEAL, "limit": "5"})
        items = _expect(answer, 200, doing="look for the story deal")["items"]
        return next((item["deal_id"] for item in items if item["name"] == STORY_DEAL), None)

    async def in_pipeline(self, deal_id: str) -> dict[str, Any]:
        """The pipeline learns of an approved deal from registration's events: wait for it."""
        deadline = time.monotonic() + self.timeout
        while True:
            answer = await self.call("GET", f"/pipeline/deals/{deal_id}", ADMIN_HEADERS)
            if answer.status == 200:
                return dict(answer.json())
            if answer.status != 404 or time.monotonic() > deadline:
                raise DemoError(f"deal {deal_id} did not reach the pipeline: {answer!r}")
            await asyncio.sleep(0.05)

    async def log(self, deal_id: str, who: dict[str, str], activity: Activity) -> None:
        body: dict[str, Any] = {"kind": activity.kind, "subject": activity.subject}
        now = datetime.now(UTC).replace(microsecond=0)
        if activity.days_ago is not None:
            body["occurred_at"] = (now - timedelta(days=activity.days_ago)).isoformat()
        if activity.due_in_days is not None:
            body["due_at"] = (now + timedelta(days=activity.due_in_days)).isoformat()
        answer = await self.call("POST", f"/pipeline/deals/{deal_id}/activities", who, body)
        _expect(answer, 201, doing=f"log a {activity.kind}")

    async def move(self, deal_id: str, who: dict[str, str], stage: str, reason: str) -> None:
        answer = await self.call("POST", f"/pipeline/deals/{deal_id}/stage", who, {"to_stage": stage, "reason": reason})
        _expect(answer, 200, doing=f"move to {stage}")

    async def story(self) -> str:
        """李明's deal with 新城百货, as the article tells it."""
        li_ming = as_user(REP, "rep", ("east",))
        lead = await self.call(
            "POST",
            "/registration/leads",
            li_ming,
            {
                "company": STORY_ACCOUNT,
                "contact": {"name": "王芳", "phone": "13900000000", "email": "wangfang@xincheng.example.com"},
                "source": "trade_fair",
                "region": "east",
                "industry": "零售",
            },
        )
        lead_id = _expect(lead, 201, doing="capture the 新城百货 lead")["lead_id"]
        converted = await self.call(
            "POST",
            f"/registration/leads/{lead_id}/convert",
            li_ming,
            {
                "name": STORY_DEAL,
                "value": {"amount": STORY_AMOUNT, "currency": "CNY"},
                "expected_close_date": (self.today + timedelta(days=STORY_CLOSE_DAYS)).isoformat(),
                "source": "trade_fair",
                "deal_type": "new_business",
                "product_line": "女装",
            },
        )
        registered = _expect(converted, 201, doing="register 新城百货合作项目")
        deal_id = str(registered["deal_id"])
        if registered["registration_status"] == "pending":  # rules stricter than the defaults
            await self.approve(deal_id, as_user(MANAGER, "manager", ("east",)))
        await self.in_pipeline(deal_id)
        calls, moves = list(STORY_ACTIVITIES), list(STORY_MOVES)
        # the article's order: three contacts, 需求分析; two more and a task, 提案; a call, 谈判
        for count, (stage, reason) in zip((3, 4, 1), moves, strict=True):
            for activity in calls[:count]:
                await self.log(deal_id, li_ming, activity)
            del calls[:count]
            await self.move(deal_id, li_ming, stage, reason)
        extended = (self.today + timedelta(days=STORY_EXTENDED_CLOSE_DAYS)).isoformat()
        edit = await self.call(
            "PATCH",
            f"/pipeline/deals/{deal_id}",
            li_ming,
            {
                "expected_close_date": extended,
                "contacts": [{"name": "王芳", "role": "decision_maker"}],
                "priority": "high",
            },
        )
        _expect(edit, 200, doing="extend the close date to three months")
        return deal_id

    async def approve(self, deal_id: str, who: dict[str, str]) -> None:
        answer = await self.call("POST", f"/registration/deals/{deal_id}/approve", who)
        _expect(answer, 200, doing="approve the registration")

    async def deal(self, plan: DealPlan) -> str:
        """One generated deal, recorded as its plan says; what became of it."""
        owner = as_user(plan.owner, "rep", tuple(team for team, reps in TEAMS.items() if plan.owner in reps))
        answer = await self.call(
            "POST",
            "/registration/deals",
            owner,
            {
                "name": plan.name,
                "account": {"name": plan.account},
                "value": {"amount": f"{plan.amount}.00", "currency": "CNY"},
                "expected_close_date": (self.today + timedelta(days=plan.close_in_days)).isoformat(),
                "source": plan.source,
                "deal_type": plan.deal_type,
                "product_line": plan.product_line,
            },
        )
        if answer.status == 409 and "conflicting_deal_id" in (answer.json() or {}):
            return "skipped"  # registered by an earlier, interrupted run
        registered = _expect(answer, 201, doing=f"register {plan.name}")
        deal_id = str(registered["deal_id"])
        if plan.end == "pending":
            return "pending" if registered["registration_status"] == "pending" else "open"
        if plan.end == "pool":
            recycled = await self.call(
                "POST", f"/registration/deals/{deal_id}/recycle", ADMIN_HEADERS, {"reason": "客户长期未响应,放回公海"}
            )
            _expect(recycled, 200, doing="recycle to the pool")
            return "pool"
        await self.in_pipeline(deal_id)
        for activity in plan.activities:
            await self.log(deal_id, owner, activity)
        for stage in plan.path:
            await self.move(deal_id, owner, stage, "客户推进")
        if plan.end in ("won", "lost"):
            body: dict[str, Any] = {"outcome": plan.end, "reason": plan.loss[0] if plan.loss else "签订合同"}
            if plan.competitor:
                body["competitor"] = plan.competitor
            closed = await self.call("POST", f"/pipeline/deals/{deal_id}/close", owner, body)
            _expect(closed, 200, doing=f"close {plan.name} {plan.end}")
        return plan.end

    async def targets(self, deals: list[DealPlan]) -> int:
        """A target for every rep and team for this quarter and the next: a little above what
        each has open, so the attainment the forecast shows is neither nil nor done."""
        periods = target_periods(self.today)
        rules = _expect(await self.call("GET", "/forecast/rules", ADMIN_HEADERS), 200, doing="read the forecast rules")
        known_teams = set(rules.get("teams") or {})
        by_owner = Counter[str]()
        for plan in deals:
            by_owner[plan.owner] += plan.amount
        # the forecast takes a target only for an owner it knows (a team member, or one with a deal)
        working = {REP} | {plan.owner for plan in deals if plan.end in ("open", "won", "lost")}
        set_count = 0
        for team, reps in TEAMS.items():
            for period in periods:
                for rep in (rep for rep in reps if rep in working):
                    amount = max(500_000, round(by_owner[rep] / 4 / 100_000) * 100_000)
                    await self.target(f"/forecast/targets/{rep}/{period}", amount)
                    set_count += 1
                if team in known_teams:  # only the teams CRM_TEAMS (or the forecast rules) name
                    total = sum(max(500_000, round(by_owner[r] / 4 / 100_000) * 100_000) for r in reps)
                    await self.target(f"/forecast/team-targets/{team}/{period}", total)
                    set_count += 1
        for rep in sorted(working):  # 每日拜访计划: two visits a working day, this year
            await self.target(f"/forecast/visit-plans/{rep}/{self.today.year}", body={"visits_per_day": 2})
        return set_count

    async def target(self, path: str, amount: int = 0, body: dict[str, Any] | None = None) -> None:
        """The forecast takes an owner's target once it has heard of one of their deals."""
        deadline = time.monotonic() + self.timeout
        body = body or {"amount": {"amount": f"{amount}.00", "currency": "CNY"}}
        while (answer := await self.call("PUT", path, ADMIN_HEADERS, body)).status == 422:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        _expect(answer, 200, doing=f"set the target {path}")


async def load(call: Caller, deals: int = DEFAULT_DEALS, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Record the demo unless it is there already; what was recorded, by outcome."""
    demo = Demo(call)
    if (story_id := await demo.loaded()) is not None:
        return {"loaded": False, "story_deal_id": story_id, "deals": 0, "outcomes": {}, "targets": 0}
    story_id = await demo.story()
    planned = plans(deals, seed)
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(plan: DealPlan) -> str:
        async with gate:
            return await demo.deal(plan)

    outcomes = Counter(await asyncio.gather(*(one(plan) for plan in planned)))
    targets = await demo.targets(planned)
    return {
        "loaded": True,
        "story_deal_id": story_id,
        "deals": sum(n for end, n in outcomes.items() if end != "skipped"),
        "outcomes": dict(sorted(outcomes.items())),
        "targets": targets,
    }
