"""Normalisation of what people type, so that one customer is recognised however written."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.errors import Invalid

# Chinese suffixes are written joined to the name; Latin ones only count as whole words,
# so that "Tesco" keeps its "co" and "Zinc" its "inc".
_CHINESE_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
_LATIN_SUFFIXES = (
    "co ltd",
    "company limited",
    "limited",
    "ltd",
    "incorporated",
    "inc",
    "corporation",
    "corp",
    "llc",
    "gmbh",
    "co",
    "company",
)


def customer_name(name: str) -> str:
    """Case, full-width/half-width, punctuation and company suffixes do not make a new customer."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[\W_]+", " ", text).strip()
    changed = True
    while changed:
        changed = False
        for suffix in _CHINESE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].strip()
                changed = True
        for suffix in _LATIN_SUFFIXES:
            if text.endswith(" " + suffix):
                text = text[: -len(suffix)].strip()
                changed = True
    return text.replace(" ", "")


def phone(number: str) -> str:
    """Digits only, China's +86 / 0086 country prefix dropped: `+86 138-0000-0000` → `13800000000`."""
    text = unicodedata.normalize("NFKC", number).strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86") or digits.startswith("0086"):
        digits = digits[2:] if text.startswith("+86") else digits[4:]
    if not 6 <= len(digits) <= 20:
        raise ValueError("a phone number has 6 to 20 digits")
    return digits


def email(address: str) -> str:
    return unicodedata.normalize("NFKC", address).strip().lower()


def email_domain(address: str) -> str:
    return email(address).rsplit("@", 1)[-1]


def key_id(key: str) -> UUID:
    """The id of the index aggregate that guards one customer key (name, phone, …)."""
    return uuid5(NAMESPACE_URL, f"crm:customer-key:{key}")


def contact(given: dict[str, Any]) -> dict[str, Any]:
    """The contact with its phone and e-mail normalised; a phone that is no phone number
    is refused, naming the field."""
    normalised = dict(given)
    if given.get("phone"):
        try:
            normalised["phone"] = phone(given["phone"])
        except ValueError as error:
            raise Invalid("contact.phone", str(error)) from None
    if given.get("email"):
        normalised["email"] = email(given["email"])
    return normalised
