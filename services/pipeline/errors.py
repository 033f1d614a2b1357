"""Pipeline's domain errors: refusals (409) and values no rule accepts (422, naming the field)."""

from __future__ import annotations

from typing import Any

from shared.errors import Conflict, Invalid


class DealNotInPipeline(Conflict):
    def __init__(self, deal_id: Any) -> None:
        super().__init__(f"deal {deal_id} is not in a pipeline yet (registration not approved)", deal_id=str(deal_id))


class DealIsClosed(Conflict):
    def __init__(self, deal_id: Any, outcome: str) -> None:
        super().__init__(
            f"deal {deal_id} is closed ({outcome}); reopen it first", deal_id=str(deal_id), outcome=outcome
        )


class DealIsOpen(Conflict):
    def __init__(self, deal_id: Any) -> None:
        super().__init__(f"deal {deal_id} is open: only a won or lost deal reopens", deal_id=str(deal_id))


class ActivityNotFound(Conflict):
    def __init__(self, deal_id: Any, activity_id: str) -> None:
        super().__init__(f"deal {deal_id} has no task {activity_id}", activity_id=activity_id)


class ProductExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"the catalogue has a product {code!r} already (never deleted: retired at most)", code=code)


class ClosingStageNeedsClose(Invalid):
    def __init__(self, key: str) -> None:
        super().__init__("to_stage", f"stage {key!r} closes the deal: use POST /pipeline/deals/{{id}}/close")


class UnknownStage(Invalid):
    def __init__(self, pipeline_id: str, key: str) -> None:
        super().__init__("to_stage", f"pipeline {pipeline_id!r} has no stage {key!r}")
        self.key = key


class StageRetired(Invalid):
    def __init__(self, key: str) -> None:
        super().__init__("to_stage", f"stage {key!r} is retired and takes no deals")


class ExitCriteriaNotMet(Invalid):
    """What the stage's exit criteria miss, and its required tasks still open ("key (subject)")."""

    def __init__(self, stage: str | None, missing: list[str], open_tasks: list[str] | None = None) -> None:
        needs = [", ".join(missing)] if missing else []
        if open_tasks:
            needs.append(f"its open tasks done: {'; '.join(open_tasks)}")
        super().__init__("to_stage", f"leaving {stage!r} needs: {'; '.join(needs)}")
        self.missing = missing
        self.open_tasks = open_tasks or []


class UnknownDeal(LookupError):
    """An upstream event names a deal this service never heard of (a poison message)."""

    def __init__(self, deal_id: str) -> None:
        super().__init__(f"no deal {deal_id} here: its registration event never arrived")
