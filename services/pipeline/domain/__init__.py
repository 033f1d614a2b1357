"""Pipeline's domain model: each pipeline's stage set (`stages`: the `Pipeline` aggregate),
the product catalogue (`products`: a `Product` aggregate each), and the deals that go
through it (`deal`: the `Deal` aggregate, joined from its concerns: `lineitems`,
`progress` through the stages, `terms`, `activities`, `alerts`, and `upstream`, which keeps
registration's events applied once).

eventsourcing stores every event under a topic and rebuilds it from that topic. Each
aggregate and event here names its topic (`TOPIC`), the one it was first stored under
(`services.pipeline.domain:Deal.StageChanged`, …), so that moving the code never orphans a
stored event. The aggregates are named here as well: an old topic then resolves even in a
process that has not imported them yet.
"""

from services.pipeline.domain.deal import Deal
from services.pipeline.domain.products import Product
from services.pipeline.domain.stages import Pipeline

__all__ = ["Deal", "Pipeline", "Product"]
