"""What `crm demo` records: the people, the 新城百货 story and the generated deals, as plain data.

The story is the SuiteCRM article's (seed 002, “掌握商业机会模块”): 李明 meets 新城百货's buyer
王芳 at a fashion fair, registers 新城百货合作项目 (the article's $100,000, here in CNY), logs calls,
a meeting, emails, notes and a task, moves it from 初步接触 through 需求分析 and 提案 to 谈判,
and pushes the close date from two months out to three. The article ends there, in
negotiation, so the story deal stays open there; the generated deals bring the wins and losses.

The generated deals come from `random.Random(seed)` alone: the same seed and count give the
same deals, field for field, whenever they are generated (only dates move with today).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

STORY_DEAL = "新城百货合作项目"
STORY_ACCOUNT = "新城百货"
REP = "li.ming"  # 李明, who works the deal
MANAGER = "zhang.yue"  # 张悦, who leads him and reads the forecast
ADMIN = "demo-admin"  # approves, recycles and sets targets for every team

# five reps a team: a few hundred deals stay well under the 50 open deals a rep may hold
TEAMS: dict[str, tuple[str, ...]] = {
    "east": (REP, "wang.lei", "chen.jing", "liu.yang", "huang.li"),
    "west": ("zhao.min", "sun.hao", "zhou.na", "wu.tao", "xu.jie"),
}
SOURCES = ("trade_fair", "website", "referral", "partner", "cold_call", "webinar")
DEAL_TYPES = ("new_business", "existing_business")
PRODUCT_LINES = ("女装", "男装", "童装", "配饰")
COMPANIES = (
    "华联商厦", "银泰百货", "大洋百货", "王府井百货", "百盛购物", "来福士", "万达广场", "凯德商用",
    "天虹商场", "新世界百货", "茂业百货", "金鹰购物", "久光百货", "太平洋百货", "友谊商店", "国贸商城",
)  # fmt: skip
CITIES = ("上海", "杭州", "南京", "苏州", "宁波", "成都", "重庆", "西安", "昆明", "兰州", "武汉", "长沙")
LOSS_REASONS = (
    ("price", "价格高于竞品"),
    ("timing", "预算推迟到下一年"),
    ("competitor", "选择了竞争对手"),
    ("no_budget", "没有预算"),
)
COMPETITORS = ("优衣库", "ZARA", "太平鸟", "海澜之家")
# Where the open deals stand, and how many of every 100 generated deals end each way.
OPEN_STAGES = ("prospecting", "qualification", "needs_analysis", "value_proposition", "proposal", "negotiation")
WON, LOST, PENDING, POOL = 16, 10, 5, 4


@dataclass(frozen=True)
class Activity:
    kind: str
    subject: str
    days_ago: int | None = None  # occurred that many days before the run; None for a task
    due_in_days: int | None = None


@dataclass(frozen=True)
class DealPlan:
    """One generated deal: who registers it, on what terms, and where it ends."""

    name: str
    account: str
    owner: str
    amount: int
    close_in_days: int
    source: str
    deal_type: str
    product_line: str
    path: tuple[str, ...]  # the stages it moves through after prospecting, in order
    end: str = "open"  # open, won, lost, pending (waits in the queue) or pool (recycled)
    loss: tuple[str, str] | None = None
    competitor: str | None = None
    activities: tuple[Activity, ...] = field(default=())


STORY_ACTIVITIES = (
    Activity("call", "与王芳通话:尚品衣舍系列在百货商店的摆放位置和营销推广计划", days_ago=35),
    Activity("email", "发送产品资料和合作方案给王芳", days_ago=33),
    Activity("meeting", "与王芳面谈:会议时间、地点、参与人员,讨论内容与初步共识", days_ago=28),
    Activity("call", "每周电话跟进:合作细节进展", days_ago=21),
    Activity("note", "王芳希望了解尚品衣舍的供应链管理和产品质量控制", days_ago=20),
    Activity("meeting", "第二次面谈:王芳确认对产品非常感兴趣,提议讨论合同条款", days_ago=14),
    Activity("call", "每周电话跟进:合同条款", days_ago=7),
    Activity("task", "准备一份详细的供应链管理报告,回应王芳的需求", due_in_days=7),
)
# (stage, reason, activities logged before the move): the article's order of events
STORY_MOVES = (
    ("needs_analysis", "一次成功的会议后,从初步接触进入需求分析"),
    ("proposal", "第二次面谈后王芳提议讨论具体合同条款"),
    ("negotiation", "双方初步确定合同条款,进入谈判细节"),
)
STORY_AMOUNT = "700000.00"  # the article's $100,000, in CNY
STORY_CLOSE_DAYS, STORY_EXTENDED_CLOSE_DAYS = 61, 92  # two months out, then three


def plans(count: int, seed: int) -> list[DealPlan]:
    """`count` deals across the reps of both teams, every source, six stages and eleven
    months of close dates, some won, some lost, some waiting for review, some in the pool."""
    rng = random.Random(seed)
    reps = [rep for members in TEAMS.values() for rep in members]
    made = []
    for number in range(1, count + 1):
        company = f"{rng.choice(CITIES)}{rng.choice(COMPANIES)}"
        line = rng.choice(PRODUCT_LINES)
        roll = rng.randrange(100)
        end = (
            "won"
            if roll < WON
            else "lost"
            if roll < WON + LOST
            else "pending"
            if roll < WON + LOST + PENDING
            else "pool"
            if roll < WON + LOST + PENDING + POOL
            else "open"
        )
        reach = len(OPEN_STAGES) - 1 if end in ("won", "lost") else rng.randrange(len(OPEN_STAGES))
        stops = [stage for stage in OPEN_STAGES[1 : reach + 1] if rng.random() < 0.5 or stage == OPEN_STAGES[reach]]
        loss = rng.choice(LOSS_REASONS) if end == "lost" else None
        activities = tuple(
            Activity(
                rng.choice(("call", "meeting", "email")), f"{line}合作跟进 #{n + 1}", days_ago=rng.randrange(1, 90)
            )
            for n in range(rng.randrange(3))
        )
        made.append(
            DealPlan(
                name=f"{company}{line}项目",
                # a number of its own: the account-name rule refuses a second deal for one account
                account=f"{company}(D{number:04d})",
                owner=rng.choice(reps),
                amount=rng.randrange(20, 2000) * 1000,
                # pending ones close beyond the 12 months approved at once, so they wait for a manager
                close_in_days=rng.randrange(400, 460) if end == "pending" else rng.randrange(7, 335),
                source=rng.choice(SOURCES),
                deal_type=rng.choice(DEAL_TYPES),
                product_line=line,
                path=tuple(stops) if end in ("open", "won", "lost") else (),
                end=end,
                loss=loss,
                competitor=rng.choice(COMPETITORS) if loss and loss[0] == "competitor" else None,
                activities=activities,
            )
        )
    return made


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def target_periods(today: date) -> list[str]:
    """This quarter and the next: the periods the forecast page opens on."""
    return [quarter(today), quarter(today + timedelta(days=92))]
