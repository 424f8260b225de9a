"""The scoring line's level buttons and target options, written in Python
(assessments/templatetags/scoring.py) instead of template loops: the markup they must give."""

from types import SimpleNamespace

from django.template import Context, Template
from django.test import SimpleTestCase

from assessments.forms import AnswerForm

LEVELS = [SimpleNamespace(number=n, name=name) for n, name in enumerate(["Low", "Mid <b>", "High"], start=1)]


def render(form) -> str:
    template = Template("{% load scoring %}{% level_radios form %}|{% target_options form %}")
    return template.render(Context({"form": form}))


class ScoringInputsTests(SimpleTestCase):
    def test_a_saved_answer_is_checked_and_selected_and_every_label_escaped(self):
        form = AnswerForm(prefix="W3.1", levels=LEVELS, initial={"level": "2", "target_level": 3, "version": 4})
        radios, options = render(form).split("|")
        self.assertEqual(radios.count('type="radio"'), 4)  # three levels and "Don't know"
        self.assertIn(
            '<label class="score-choice"><input type="radio" name="W3.1-level" value="2" id="id_W3.1-level_1" '
            'checked aria-describedby="level-2"> <span>2 Mid &lt;b&gt;</span></label>',
            radios,
        )
        self.assertEqual(radios.count(" checked"), 1)
        self.assertIn(
            'value="dk" id="id_W3.1-level_3" aria-describedby="level-dk"> <span>Don&#x27;t know</span>', radios
        )
        self.assertEqual(
            options,
            '<option value="">No target</option><option value="1">1 Low</option>'
            '<option value="2">2 Mid &lt;b&gt;</option><option value="3" selected>3 High</option>',
        )

    def test_what_was_typed_is_shown_again_when_the_form_is_refused(self):
        data = {"W3.1-level": "dk", "W3.1-target_level": "9", "W3.1-version": "x"}
        form = AnswerForm(data, prefix="W3.1", levels=LEVELS)
        self.assertFalse(form.is_valid())
        radios, options = render(form).split("|")
        self.assertIn('value="dk" id="id_W3.1-level_3" checked', radios)
        self.assertEqual(radios.count(" checked"), 1)
        self.assertNotIn(" selected", options)  # "9" is not a choice

    def test_nothing_chosen_checks_nothing(self):
        radios, options = render(AnswerForm(prefix="S1.1", levels=LEVELS)).split("|")
        self.assertNotIn("checked", radios)
        self.assertIn('<option value="" selected>No target</option>', options)
