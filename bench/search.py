"""The search box at scale (`CRM_BENCH_ONLY=search`): CRM_BENCH_OPEN_DEALS deals (100,000 by
default) with their accounts and contacts, and a lead for every fifth, written straight into
registration's read model (COPY, as the queries step does for the board), then
`GET /registration/search` over HTTP against `crm serve registration` on PostgreSQL.

Names are Chinese, as the customers' are: a city, a trade and a suffix (新城百货有限公司), so
a two-character query (新城) matches a fortieth of them, a common one (有限) nearly all, and
a rare one (a phone number's tail) one. Each query is timed CRM_BENCH_QUERIES times, as an
admin (every row) and as a rep (a twentieth of the deals in reach), over HTTP and, as the
baseline, the same four SQL queries in this process."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import create_engine

from bench.generate import OWNERS, stories
from services.registration.bootstrap import bootstrap as registration_service
from services.registration.projections import registration_accounts, registration_contacts, registration_search
from services.registration.projections.lookup import search_row
from services.registration.queries import finding
from services.registration.queries.finding import Reach
from shared.settings import Settings

CITIES = (
    "新城", "东方", "华南", "北京", "上海", "深圳", "杭州", "苏州", "南京", "武汉", "成都", "重庆", "天津", "西安",
    "长沙", "郑州", "青岛", "宁波", "厦门", "福州", "合肥", "济南", "沈阳", "大连", "昆明", "南宁", "贵阳", "兰州",
    "太原", "石家庄", "哈尔滨", "长春", "南昌", "海口", "珠海", "佛山", "东莞", "无锡", "常州", "温州",
)  # fmt: skip
TRADES = (
    "百货", "电子", "建材", "物流", "科技", "制药", "纺织", "机械", "化工", "食品", "能源", "汽车", "软件", "通信",
    "环保", "医疗", "钢铁", "家居", "农业", "传媒",
)  # fmt: skip
SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司", "贸易有限公司")
QUERIES = (
    ("2 characters, 1 in 40 rows", "新城"),
    ("3+ characters, 1 in 800 rows", "新城百货"),
    ("2 characters, nearly every row", "有限"),
    ("3+ characters, nearly every row", "有限公司"),
    ("3+ characters, one row", "139-0004242"),
    ("no match", "不存在的公司"),
)


def chinese_name(rng: random.Random) -> str:
    return f"{rng.choice(CITIES)}{rng.choice(TRADES)}{rng.choice(SUFFIXES)}"


def fill(url: str, prefix: str, count: int) -> None:
    """The accounts, deals, contacts and leads as the projection would have written them."""
    rng = random.Random(16)
    now = datetime.now(UTC)
    schema = f'"{prefix}registration"'
    search_columns = [c.name for c in registration_search.columns]
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        accounts, contacts, found = [], [], []
        for story in stories(count, seed=16):
            deal_id, account_id, contact_id = (str(uuid.UUID(int=story.number * 4 + k + 1)) for k in range(3))
            account = chinese_name(rng)
            owner = rng.choice(OWNERS)
            phone = f"139-{story.number:07d}"
            accounts.append((account_id, account, now))
            contacts.append((contact_id, account_id, deal_id, "王小明", phone, None, now))
            reach = {"deal_id": deal_id, "owner_id": owner, "partner": None}
            found.append(search_row("account", account_id, account, account_id=account_id))
            found.append(
                search_row(
                    "deal", deal_id, f"{account} 项目", account, subtitle=account, account_id=account_id, **reach
                )
            )
            found.append(search_row("contact", contact_id, "王小明", phone, subtitle=account, **reach))
            if story.number % 5 == 0:
                lead_id = str(uuid.UUID(int=story.number * 4 + 4))
                found.append(search_row("lead", lead_id, chinese_name(rng), "李四", subtitle="李四", owner_id=owner))
        for table, rows in ((registration_accounts, accounts), (registration_contacts, contacts)):
            names = ", ".join(c.name for c in table.columns)
            with cursor.copy(f"COPY {schema}.{table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        with cursor.copy(f"COPY {schema}.registration_search ({', '.join(search_columns)}) FROM STDIN") as copy:
            for hit in found:
                copy.write_row([hit.get(c) for c in search_columns])
        connection.execute(f"ANALYZE {schema}.registration_search")


def queries_alone(url: str, prefix: str, q: str, rep: bool, runs: int) -> list[float]:
    """The baseline: the same four queries in this process, without HTTP or the service."""
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1),
        execution_options={"schema_translate_map": {None: f"{prefix}registration"}},
    )
    everyone = Reach(None)
    own = Reach(frozenset({"rep-7"}), pool=True)
    reaches = {"deal": own, "lead": Reach(frozenset({"rep-7"})), "account": everyone, "contact": own}
    if not rep:
        reaches = dict.fromkeys(reaches, everyone)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        finding.search(engine, q, reaches, 10)
        timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return timings


def measure(url: str, prefix: str, rows: list[list[Any]], count: int, runs: int, serve: Any) -> None:
    settings = Settings(database_url=url, schema_prefix=prefix, poll_interval=60)
    registration_service(settings).close()  # the schema, the tables, the trigram extension
    fill(url, prefix, count)
    process = serve(prefix, "registration")
    try:
        with process.client() as http:
            for who in (
                {"X-User-Id": "bench-admin", "X-User-Role": "admin"},
                {"X-User-Id": "rep-7", "X-User-Role": "rep"},
            ):
                for label, q in QUERIES:
                    timings = []
                    for _ in range(runs):
                        started = time.perf_counter()
                        answer = http.get("/registration/search", headers=who, params={"q": q})
                        timings.append((time.perf_counter() - started) * 1000)
                        assert answer.status_code == 200, answer.text
                    hits = sum(len(answer.json()[k]) for k in ("deals", "leads", "accounts", "contacts"))
                    alone = queries_alone(url, prefix, q, who["X-User-Role"] == "rep", runs)
                    median = statistics.median(timings)
                    rows.append(
                        [
                            f"search {q!r} ({label}), {count:,} deals, as {who['X-User-Role']} (HTTP)",
                            f"median {median:.1f} ms (min {min(timings):.1f}, max {max(timings):.1f})",
                            f"SQL alone: median {statistics.median(alone):.1f} ms (min {min(alone):.1f}, max {max(alone):.1f}); "
                            f"{hits} hits",
                            "",
                            "median < 100 ms",
                            median < 100,
                        ]
                    )
    finally:
        process.stop()
