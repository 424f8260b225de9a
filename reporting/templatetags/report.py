"""Small filters for the maturity report's templates."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from reporting.text import printable

register = template.Library()


# Characters a CSS string in a <style> element may hold as they are; every other one is
# written as a CSS escape, so that no text can close the string, the rule or the element.
_CSS_PLAIN = set(" .,-'()/:;·–") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@register.filter
def css_string(value) -> str:
    """A CSS string literal holding `value` as text, for the @page margin boxes of the
    print template (a raw-text <style> element, which HTML escaping does not protect):
    anything but letters, digits, spaces and plain punctuation is a hex escape."""
    escaped = "".join(char if char in _CSS_PLAIN or char.isalpha() else f"\\{ord(char):x} " for char in str(value))
    return mark_safe(f'"{escaped}"')  # nosec B308, B703: all else is a CSS hex escape


@register.filter
def signed(value) -> str:
    """+0.3, −0.2 (a true minus sign), 0.0."""
    if value is None:
        return ""
    value = Decimal(value)
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"\u2212{-value}"
    return f"{value}"


@register.filter
def level_label(value, name: str = "") -> str:
    """3.4 · Established."""
    if value is None:
        return ""
    return f"{value} \u00b7 {name}" if name else str(value)


@register.filter
def subtract(value, other):
    return value - other


@register.filter
def user_text(value) -> str:
    """A person's text as the report prints it (reporting/text.py); still escaped."""
    return printable(value)


@register.filter
def heat(value) -> str:
    """The heatmap shade of a maturity: the level reached, 1 to 5 ("" when empty)."""
    if value in (None, ""):
        return ""
    return str(max(1, min(5, int(Decimal(value)))))
