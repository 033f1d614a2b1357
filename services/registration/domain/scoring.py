"""The lead conversion score (智能评分): a binary classifier trained on the leads that ended,
converted (1) or disqualified (0), that gives every open lead its probability to convert.

Pure: rows in, a fitted model (or the reason there is none) out. The inputs are the lead
fields the seed article's 智能评分 selects as bearing on conversion that a lead here has:
where it came from (source), where (region), its trade (industry), its budget (客户预算:
whether one was named, and its size as log10 of the amount), and how complete its contact
data is (a phone, an e-mail, an e-mail on the company's own domain rather than a free
mailbox). The company's name is always present, so it tells the model nothing.

Deterministic: a fixed `random_state` for the split and the model, and the version is a
hash of the training set, the parameters and the scikit-learn version: the same leads
train the same model with the same version on every replica.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from services.registration.rules import LeadScoring

# scikit-learn and numpy are imported where a model is trained or used, not at start-up:
# they double a process's import time, and most processes never train.

CATEGORICAL = ("source", "region", "industry")
NUMERIC = ("has_budget", "budget_log10", "has_phone", "has_email", "has_company_email")
INPUTS = (*CATEGORICAL, *NUMERIC)
SEED = 0


@dataclass(frozen=True)
class Insufficient:
    """Too few ended leads, or only one kind, to learn from: no model, and the counts."""

    converted: int
    disqualified: int
    needed: int
    needed_per_class: int


@dataclass(frozen=True)
class Model:
    pipeline: Any  # a fitted sklearn.pipeline.Pipeline
    version: str
    algorithm: str
    n: int
    converted: int
    disqualified: int
    roc_auc: float
    held_out: int
    training_ms: int

    def score(self, rows: list[dict[str, Any]]) -> list[float]:
        """Each row's probability to convert, rounded to 4 places (what the events record)."""
        if not rows:
            return []
        probabilities = self.pipeline.predict_proba(_matrix(rows))[:, 1]
        return [round(float(p), 4) for p in probabilities]


def features(lead: dict[str, Any], free_domains: tuple[str, ...]) -> dict[str, Any]:
    """A lead (a read-model row: source, region, industry, budget_amount, phone, email) as
    the model reads it; a field nobody gave is the category "(none)" or 0."""
    email = (lead.get("email") or "").casefold()
    amount = float(lead["budget_amount"]) if lead.get("budget_amount") is not None else 0.0
    return {
        "source": lead.get("source") or "(none)",
        "region": lead.get("region") or "(none)",
        "industry": lead.get("industry") or "(none)",
        "has_budget": 1.0 if lead.get("budget_amount") is not None else 0.0,
        "budget_log10": math.log10(1 + max(amount, 0.0)),
        "has_phone": 1.0 if lead.get("phone") else 0.0,
        "has_email": 1.0 if email else 0.0,
        "has_company_email": 1.0 if email and email.rsplit("@", 1)[-1] not in free_domains else 0.0,
    }


def train(rows: list[dict[str, Any]], labels: list[int], rules: LeadScoring) -> Model | Insufficient:
    """Fit the model on `rows` (their `features`) and `labels` (1 converted, 0 disqualified):
    the ROC AUC on a held-out stratified split, then the model refitted on every row."""
    converted = sum(labels)
    disqualified = len(labels) - converted
    if len(labels) < rules.min_sample or min(converted, disqualified) < rules.min_per_class:
        return Insufficient(converted, disqualified, rules.min_sample, rules.min_per_class)
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    started = time.perf_counter()
    # In a canonical order, so that the same leads in any order give the same split and model.
    pairs = sorted(zip(rows, labels, strict=True), key=lambda pair: json.dumps(pair, sort_keys=True))
    rows, labels = [row for row, _ in pairs], [label for _, label in pairs]
    x = _matrix(rows)
    x_train, x_test, y_train, y_test = train_test_split(
        x, labels, test_size=rules.held_out_fraction, stratify=labels, random_state=SEED
    )
    auc = float(roc_auc_score(y_test, _pipeline(rules).fit(x_train, y_train).predict_proba(x_test)[:, 1]))
    pipeline = _pipeline(rules).fit(x, labels)
    return Model(
        pipeline=pipeline,
        version=version_of(rows, labels, rules),
        algorithm=rules.algorithm,
        n=len(labels),
        converted=converted,
        disqualified=disqualified,
        roc_auc=round(auc, 4),
        held_out=len(y_test),
        training_ms=round((time.perf_counter() - started) * 1000),
    )


def version_of(rows: list[dict[str, Any]], labels: list[int], rules: LeadScoring) -> str:
    """A hash of what the model is a function of: the training set (in a canonical order),
    the parameters and the library's version."""
    import sklearn

    examples = sorted(json.dumps([row, label], sort_keys=True) for row, label in zip(rows, labels, strict=True))
    parameters = {"rules": rules.model_dump(mode="json"), "inputs": INPUTS, "sklearn": sklearn.__version__}
    digest = hashlib.sha256(json.dumps([examples, parameters], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _pipeline(rules: LeadScoring) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), list(range(len(CATEGORICAL)))),
            ("numbers", StandardScaler(), list(range(len(CATEGORICAL), len(INPUTS)))),
        ]
    )
    classifier: Any
    if rules.algorithm == "gradient_boosting":
        classifier = GradientBoostingClassifier(random_state=SEED)
    else:
        classifier = LogisticRegression(solver="liblinear", max_iter=1000, random_state=SEED)
    return Pipeline([("columns", columns), ("classifier", classifier)])


def _matrix(rows: list[dict[str, Any]]) -> Any:
    """The rows as the column transformer takes them: one object array, columns in `INPUTS`
    order (the categories first), since there is no data-frame library here."""
    import numpy as np

    return np.array([[row[name] for name in INPUTS] for row in rows], dtype=object)
