"""The record of the lead conversion models (`scoring`): one stream, each new version an
event with what it was trained on and how well it did, so that any score recorded on a
lead can be explained later by the model version it names."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.registration.domain.scoring import INPUTS, Model
from services.registration.domain.topics import first_stored_in

SCORE_MODEL_ID: UUID = uuid5(NAMESPACE_URL, "crm:registration:lead-score-model")


@first_stored_in("services.registration.domain")
class ScoreModel(Aggregate):
    if TYPE_CHECKING:  # made by `@event` from the methods below
        Opened: ClassVar[type[Any]]
        Trained: ClassVar[type[Any]]

    @staticmethod
    def create_id() -> UUID:
        return SCORE_MODEL_ID  # one record per service: every replica appends to the same stream

    @event("Opened")
    def __init__(self) -> None:
        self.sequence = 0
        self.latest: dict[str, Any] | None = None

    def record(self, model: Model, at: datetime, meta: dict[str, str]) -> bool:
        """Record a model whose version differs from the latest: the same training set and
        parameters (another replica, a retrain with nothing new) record nothing."""
        if self.latest is not None and self.latest["version"] == model.version:
            return False
        self._trained(
            version=model.version,
            sequence=self.sequence + 1,
            algorithm=model.algorithm,
            inputs=list(INPUTS),
            n=model.n,
            converted=model.converted,
            disqualified=model.disqualified,
            roc_auc=model.roc_auc,
            held_out=model.held_out,
            training_ms=model.training_ms,
            trained_at=at,
            meta=meta,
        )
        return True

    @event("Trained")
    def _trained(
        self,
        version: str,
        sequence: int,
        algorithm: str,
        inputs: list[str],
        n: int,
        converted: int,
        disqualified: int,
        roc_auc: float,
        held_out: int,
        training_ms: int,
        trained_at: datetime,
        meta: dict[str, str],
    ) -> None:
        self.sequence = sequence
        self.latest = {
            "version": version,
            "sequence": sequence,
            "algorithm": algorithm,
            "inputs": inputs,
            "n": n,
            "converted": converted,
            "disqualified": disqualified,
            "roc_auc": roc_auc,
            "held_out": held_out,
            "training_ms": training_ms,
            "trained_at": trained_at,
        }
