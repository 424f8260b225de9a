"""The inputs of a scoring line, written in Python.

The scoring page is the page every director opens most, and under load its cost is
server time: each of its ten or so lines has seven level choices and a list of targets,
and as template loops those were about 1,500 variable look-ups a page. Here each group
is one `format_html_join`, which escapes every value as the template did
(`tests/assessments/test_scoring_inputs.py` pins the markup)."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


def _value(bound_field) -> str:
    value = bound_field.value()
    return "" if value is None else str(value)


@register.simple_tag
def level_radios(form) -> SafeString:
    """The level radio buttons of one line; each points at its level's descriptor,
    shown once at the top of the page (aria-describedby)."""
    field = form["level"]
    name, id_, current = field.html_name, field.auto_id, _value(field)
    return format_html_join(
        "",
        '<label class="score-choice"><input type="radio" name="{}" value="{}" id="{}_{}"{} '
        'aria-describedby="level-{}"> <span>{}</span></label>',
        (
            (name, value, id_, n, " checked" if str(value) == current else "", value, label)
            for n, (value, label) in enumerate(form.fields["level"].choices)
        ),
    )


@register.simple_tag
def target_options(form) -> SafeString:
    """The options of one line's list of target levels, the current one selected."""
    current = _value(form["target_level"])
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if str(value) == current else "", label)
            for value, label in form.fields["target_level"].choices
        ),
    )
