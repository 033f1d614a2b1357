"""The words of each kind of message, in Chinese and English: a subject line and a body,
filled in from the message's `params`. The console has its own copy of the short titles
(its locale files); mail and the API's `title` use these."""

from __future__ import annotations

from collections import defaultdict

# kind → language → (subject, body); `{deal_name}` and the kind's own params fill them in.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "close_date_approaching": {
        "zh-CN": ("商机「{deal_name}」预计成交日临近", "商机「{deal_name}」的预计成交日 {date} 还有 {days_left} 天。"),
        "en": (
            "Close date approaching: {deal_name}",
            "The expected close date of {deal_name}, {date}, is {days_left} days away.",
        ),
    },
    "recycle_warning": {
        "zh-CN": ("商机「{deal_name}」即将被回收", "商机「{deal_name}」将于 {at} 自动回收（原因：{reason}）。"),
        "en": ("{deal_name} will be recycled", "{deal_name} will be recycled to the pool on {at} ({reason})."),
    },
    "recycled": {
        "zh-CN": ("商机「{deal_name}」已被回收", "商机「{deal_name}」已回收到公海（原因：{reason}）。"),
        "en": ("{deal_name} was recycled", "{deal_name} went back to the pool ({reason})."),
    },
    "review_waiting": {
        "zh-CN": ("报备待审核：{deal_name}", "{owner_id} 报备的商机「{deal_name}」等待您审核。{reasons}"),
        "en": (
            "Registration awaiting review: {deal_name}",
            "{owner_id} registered {deal_name}; it awaits your review. {reasons}",
        ),
    },
    "registration_approved": {
        "zh-CN": ("报备已通过：{deal_name}", "{by} 通过了商机「{deal_name}」的报备，保护期至 {until}。"),
        "en": ("Registration approved: {deal_name}", "{by} approved {deal_name}; it is protected until {until}."),
    },
    "registration_rejected": {
        "zh-CN": ("报备被驳回：{deal_name}", "{by} 驳回了商机「{deal_name}」的报备（{reason}）。{note}"),
        "en": ("Registration rejected: {deal_name}", "{by} rejected {deal_name} ({reason}). {note}"),
    },
    "assigned": {
        "zh-CN": ("商机「{deal_name}」已分配给您", "商机「{deal_name}」已分配给您（{reason}）。"),
        "en": ("{deal_name} is now yours", "{deal_name} was assigned to you ({reason})."),
    },
    "task_due": {
        "zh-CN": ("新任务：{subject}", "商机「{deal_name}」的任务「{subject}」截止于 {due_at}。"),
        "en": ("New task: {subject}", "The task {subject} on {deal_name} is due {due_at}."),
    },
    "task_overdue": {
        "zh-CN": ("任务已逾期：{subject}", "商机「{deal_name}」的任务「{subject}」已于 {due_at} 逾期。"),
        "en": ("Task overdue: {subject}", "The task {subject} on {deal_name} was due {due_at}."),
    },
}


def render(kind: str, params: dict[str, str], language: str) -> tuple[str, str]:
    """(subject, body) in `language` (Chinese when it is not one of ours); a parameter
    the text names but the message lacks is left blank rather than failing."""
    texts = TEXTS[kind]
    subject, body = texts.get(language) or texts["zh-CN"]
    values = defaultdict(str, params)
    if not values["deal_name"]:
        values["deal_name"] = "—"
    return subject.format_map(values).strip(), body.format_map(values).strip()


def mail_body(kind: str, params: dict[str, str], language: str, link: str | None) -> tuple[str, str]:
    subject, body = render(kind, params, language)
    if link:
        body += ("\n\n查看：" if language == "zh-CN" else "\n\nOpen: ") + link
    return subject, body + "\n"
