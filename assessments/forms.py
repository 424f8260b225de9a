"""Forms for the assessment cycle. They check input; the services check the rules."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils import timezone

from assessments.models import MAX_COMMENT, Action, Assessment, Evidence
from assessments.services import ActionInput, AgreedInput, AnswerInput, AssessmentDetails, EvidenceInput
from assessments.uploads import NotADocument, check_document
from frameworks.models import Framework, Line, Section

DONT_KNOW = "dk"


class _Crispy:
    """Crispy renders the fields; our templates own the <form> tag and buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class DateInput(forms.DateInput):
    """A browser date picker. Its value must be ISO (yyyy-mm-dd) whatever the locale: a
    date input given 31/03/2027 shows nothing, and saving the form then loses the date."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%d")


class AssessmentForm(_Crispy, forms.Form):
    title = forms.CharField(max_length=200, help_text="For example: Board self-assessment 2026/27.")
    period_start_year = forms.TypedChoiceField(label="Period", coerce=int)
    frameworks = forms.ModelMultipleChoiceField(
        queryset=Framework.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Lines that do not apply to your organisation's type are left out automatically.",
    )
    deadline = forms.DateField(widget=DateInput, help_text="The date by which directors should submit their scores.")
    anonymous = forms.BooleanField(
        required=False,
        initial=True,
        label="Keep individual scores and comments anonymous",
        help_text="If unticked, comments show their authors' names and the history shows who changed each score. "
        "Score distributions never name anyone.",
    )
    start_from = forms.ModelChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        label="Start from last year",
        empty_label="No: start afresh",
        help_text="Carries open actions forward and shows last year's agreed scores as a reference.",
    )

    def __init__(self, *args, organisation, assessment: Assessment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        years = range(this_year - 1, this_year + 2)
        self.fields["period_start_year"].choices = [(y, f"{y}/{(y + 1) % 100:02d}") for y in years]
        current = Framework.objects.filter(status=Framework.Status.CURRENT)
        if assessment is not None:
            current = current | assessment.frameworks.all()
            self.fields["period_start_year"].choices = [(assessment.period_start_year, assessment.period_label)]
            self.fields["period_start_year"].disabled = True
            del self.fields["start_from"]
            if assessment.status != Assessment.Status.DRAFT:
                self.fields["frameworks"].disabled = True
                self.fields["frameworks"].help_text = "Frameworks are fixed once scoring has opened."
                self.fields["anonymous"].disabled = True
                self.fields[
                    "anonymous"
                ].help_text = "Fixed once scoring opened: directors scored on the promise they were given."
        else:
            self.fields["start_from"].queryset = organisation.assessments.filter(
                status=Assessment.Status.SIGNED_OFF
            ).order_by("-period_start_year")
            # The current period (it starts on 1 April), or the first later one that is
            # still free: never a period that already has an assessment.
            taken = set(organisation.assessments.values_list("period_start_year", flat=True))
            current_period = this_year if timezone.localdate().month >= 4 else this_year - 1
            free = [y for y in years if y >= current_period and y not in taken]
            self.fields["period_start_year"].choices = [
                (y, label) for y, label in self.fields["period_start_year"].choices if y not in taken
            ]
            self.fields["period_start_year"].initial = free[0] if free else None
        self.fields["frameworks"].queryset = current.distinct().order_by("title")

    def clean_deadline(self) -> datetime.date:
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError("The deadline is in the past: choose today or a later date.")
        return deadline

    def details(self) -> AssessmentDetails:
        data = self.cleaned_data
        return AssessmentDetails(
            title=data["title"],
            period_start_year=data["period_start_year"],
            deadline=data["deadline"],
            anonymous=data["anonymous"],
            frameworks=list(data["frameworks"]),
        )


class InviteForm(_Crispy, forms.Form):
    directors = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Directors to invite"
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directors"].queryset = memberships
        self.fields["directors"].label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.username} – {m.role_label}"
        )


def level_choices(levels) -> list[tuple[str, str]]:
    return [(str(level.number), f"{level.number} {level.name}") for level in levels]


class AnswerForm(forms.Form):
    """One line's answer. Field names carry the line code as prefix so that a whole
    section can be posted at once (without JavaScript) and one line by autosave."""

    level = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    target_level = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Target level (optional)")
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_COMMENT, label="Comment (optional)"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [*level_choices(levels), (DONT_KNOW, "Don't know")]
        self.fields["target_level"].choices = [("", "No target"), *level_choices(levels)]

    def clean_level(self):
        value = self.cleaned_data["level"]
        return value or None

    def clean(self):
        data = super().clean()
        level, target = data.get("level"), data.get("target_level")
        if level not in (None, DONT_KNOW) and target is not None and target < int(level):
            self.add_error("target_level", f"The target cannot be below the level you chose ({level}).")
        return data

    def answer_input(self) -> AnswerInput:
        data = self.cleaned_data
        level = data["level"]
        return AnswerInput(
            level=None if level in (None, DONT_KNOW) else int(level),
            dont_know=level == DONT_KNOW,
            target_level=data["target_level"],
            comment=data["comment"],
            version=data["version"],
        )


def answer_initial(answer) -> dict:
    level = DONT_KNOW if answer.dont_know else (str(answer.level) if answer.level else "")
    return {
        "level": level,
        "target_level": answer.target_level or "",
        "comment": answer.comment,
        "version": answer.version,
    }


class AgreedScoreForm(_Crispy, forms.Form):
    level = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, widget=forms.RadioSelect, label="Agreed level"
    )
    not_assessed = forms.BooleanField(required=False, label="Not assessed this year")
    not_assessed_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_COMMENT, label="Why not assessed"
    )
    target_level = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Target level")
    target_date = forms.DateField(required=False, widget=DateInput, label="Target date")
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_COMMENT)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = level_choices(levels)
        self.fields["target_level"].choices = [("", "No target"), *level_choices(levels)]

    def clean(self):
        data = super().clean()
        if data.get("not_assessed") and not (data.get("not_assessed_reason") or "").strip():
            self.add_error("not_assessed_reason", "Say why the line is not assessed.")
        if not data.get("not_assessed") and data.get("level") is None and not self.errors:
            self.add_error("level", "Choose the agreed level, or mark the line not assessed.")
        level, target = data.get("level"), data.get("target_level")
        if level is not None and target is not None and target < level and not data.get("not_assessed"):
            self.add_error("target_level", f"The target cannot be below the agreed level ({level}).")
        return data

    def agreed_input(self) -> AgreedInput:
        data = self.cleaned_data
        return AgreedInput(
            level=data["level"],
            not_assessed=data["not_assessed"],
            not_assessed_reason=data["not_assessed_reason"],
            target_level=data["target_level"],
            target_date=data["target_date"],
            rationale=data["rationale"],
            version=data["version"],
        )


class EvidenceForm(_Crispy, forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Evidence.Kind.choices)
    as_at = forms.DateField(widget=DateInput, label="As at", help_text="The date the document describes.")
    url = forms.URLField(required=False, max_length=500, label="Link", assume_scheme="https")
    file = forms.FileField(
        required=False,
        help_text=f"PDF, Office document or image, up to {settings.EVIDENCE_MAX_BYTES // 1_048_576} MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            try:
                self.content_type = check_document(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)
            except NotADocument as exc:
                raise forms.ValidationError(str(exc)) from None
        return upload

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("url") and not data.get("file"):
            raise forms.ValidationError("Give a link, a file, or both.")
        return data

    def evidence_input(self) -> EvidenceInput:
        data = self.cleaned_data
        return EvidenceInput(
            title=data["title"],
            kind=data["kind"],
            as_at=data["as_at"],
            url=data["url"],
            file=data["file"],
            content_type=getattr(self, "content_type", ""),
        )


class ActionForm(_Crispy, forms.Form):
    target = forms.ChoiceField(label="For")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_COMMENT)
    owner = forms.CharField(max_length=200, help_text="Who leads it, e.g. Chief Nurse.")
    due_date = forms.DateField(required=False, widget=DateInput)
    status = forms.ChoiceField(choices=Action.Status.choices, initial=Action.Status.OPEN)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, lines: list[Line], sections: list[Section], **kwargs):
        super().__init__(*args, **kwargs)
        self._lines = {f"line:{line.pk}": line for line in lines}
        self._sections = {f"section:{section.pk}": section for section in sections}
        self.fields["target"].choices = [
            ("Sections", [(k, f"{s.code} {s.title} (whole section)") for k, s in self._sections.items()]),
            ("Lines", [(k, f"{ln.code} {ln.text[:80]}") for k, ln in self._lines.items()]),
        ]

    def action_input(self) -> ActionInput:
        data = self.cleaned_data
        target = data["target"]
        return ActionInput(
            line=self._lines.get(target),
            section=self._sections.get(target),
            description=data["description"],
            owner=data["owner"],
            due_date=data["due_date"],
            status=data["status"],
            version=data["version"],
        )


def action_initial(action: Action) -> dict:
    target = f"line:{action.line_id}" if action.line_id else f"section:{action.section_id}"
    return {
        "target": target,
        "description": action.description,
        "owner": action.owner,
        "due_date": action.due_date,
        "status": action.status,
        "version": action.version,
    }


class ReopenForm(_Crispy, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_COMMENT, help_text="Kept in the assessment's history."
    )
