"""The framework library: maturity scales and versioned frameworks.

Content is data, loaded from files in fixtures/frameworks/ by `manage.py
load_frameworks`, and every model has a natural key so that nothing depends on
primary keys. Once an assessment uses a framework version its content is frozen
(`in_use_since` is set): a changed framework is published as a new version, so last
year's scores keep the meaning they were given.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from ics_governance.lib.nhs import OrganisationType


class ScaleManager(models.Manager["Scale"]):
    def get_by_natural_key(self, slug: str, version: str) -> Scale:
        return self.get(slug=slug, version=version)


class Scale(models.Model):
    """One version of a maturity scale, shared by the framework versions that point at it.

    Versioned like frameworks: once an assessment uses it, a changed descriptor is a new
    version, so last year's "3 Established" keeps the meaning the board gave it.
    """

    slug = models.SlugField(max_length=50)
    version = models.CharField(max_length=20, default="1")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    attribution = models.TextField(blank=True)
    # From this level up, an agreed score is expected to rest on evidence (3, Established,
    # on the board maturity scale). Kept on the scale, not in code, so that a scale of
    # another length says where its own line falls.
    evidence_from_level = models.PositiveSmallIntegerField(
        default=3, help_text="Agreed scores at or above this level are expected to have evidence."
    )

    objects = ScaleManager()

    class Meta:
        ordering = ["slug", "version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="scale_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    def natural_key(self) -> tuple[str, str]:
        return (self.slug, self.version)

    @property
    def is_in_use(self) -> bool:
        return self.frameworks.filter(in_use_since__isnull=False).exists()


class LevelManager(models.Manager["Level"]):
    def get_by_natural_key(self, scale_slug: str, scale_version: str, number: int) -> Level:
        return self.get(scale__slug=scale_slug, scale__version=scale_version, number=number)


class Level(models.Model):
    """One step of a scale. "Don't know / not assessed" is deliberately not a level."""

    scale = models.ForeignKey(Scale, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=50)
    descriptor = models.TextField()
    evidence = models.TextField("typical evidence", blank=True)

    objects = LevelManager()

    class Meta:
        ordering = ["scale", "number"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "number"], name="level_unique_number"),
            models.UniqueConstraint(fields=["scale", "name"], name="level_unique_name"),
            models.CheckConstraint(condition=Q(number__gte=1), name="level_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def natural_key(self) -> tuple[str, str, int]:
        return (*self.scale.natural_key(), self.number)

    natural_key.dependencies = ["frameworks.scale"]


class FrameworkQuerySet(models.QuerySet["Framework"]):
    def with_counts(self) -> FrameworkQuerySet:
        return self.annotate(
            section_count=Count("sections", distinct=True),
            line_count=Count("lines", distinct=True),
        )

    def in_use(self) -> FrameworkQuerySet:
        return self.filter(in_use_since__isnull=False)


class FrameworkManager(models.Manager.from_queryset(FrameworkQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, slug: str, version: str) -> Framework:
        return self.get(slug=slug, version=version)


class Framework(models.Model):
    """One published version of a framework."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        CURRENT = "current", "Current"
        SUPERSEDED = "superseded", "Superseded"

    slug = models.SlugField(max_length=50)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200)
    source_url = models.URLField(max_length=500, blank=True)
    licence = models.CharField(max_length=200)
    attribution = models.TextField()
    notes = models.TextField("editorial notes", blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    effective_date = models.DateField()
    scale = models.ForeignKey(Scale, on_delete=models.PROTECT, related_name="frameworks")
    # Set when the first assessment uses this version; from then on its content
    # (everything but its status) is read-only in the loader and the admin.
    in_use_since = models.DateTimeField(null=True, blank=True, editable=False)
    source_file = models.CharField(max_length=300, blank=True, editable=False)

    objects = FrameworkManager()

    class Meta:
        ordering = ["slug", "-effective_date", "version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="framework_unique_version"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(status="current"),
                name="framework_one_current_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    def natural_key(self) -> tuple[str, str]:
        return (self.slug, self.version)

    natural_key.dependencies = ["frameworks.scale"]

    @property
    def is_in_use(self) -> bool:
        return self.in_use_since is not None

    def mark_in_use(self) -> None:
        """Freeze this version's content. Called when an assessment first uses it."""
        if self.in_use_since is None:
            self.in_use_since = timezone.now()
            self.save(update_fields=["in_use_since"])


class SectionManager(models.Manager["Section"]):
    def get_by_natural_key(self, slug: str, version: str, code: str) -> Section:
        return self.get(framework__slug=slug, framework__version=version, code=code)


class Section(models.Model):
    """A KLOE (W1…W8) or a principle (P1…P8): a group of lines with shared guidance."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    question = models.TextField()
    guidance = models.TextField("what good looks like", blank=True)
    # The page this section's wording comes from, where it has its own (each well-led
    # KLOE has a CQC page); empty means the framework's source.
    source_url = models.URLField(max_length=500, blank=True)
    # Where the wording is unverified, say so ("Recalled, to verify …"), as lines do.
    source_note = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField()

    objects = SectionManager()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="section_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.framework.natural_key(), self.code)

    natural_key.dependencies = ["frameworks.framework"]


class LineManager(models.Manager["Line"]):
    def get_by_natural_key(self, slug: str, version: str, code: str) -> Line:
        return self.get(framework__slug=slug, framework__version=version, code=code)


class Line(models.Model):
    """A statement or question that a board scores on the framework's scale."""

    class Tag(models.TextChoices):
        SYSTEM_WORKING = "system-working", "System working"

    # The framework is stored beside the section so that line codes are unique
    # within a framework version (a database constraint) and lines can be listed
    # per framework without a join; the loader keeps the two consistent.
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="lines")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField(max_length=20)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    source_note = models.CharField(max_length=300, blank=True)
    # How this line's meaning differs from the line with the same code in the version
    # before, for the year-on-year view; empty when the meaning did not change.
    changed_from = models.TextField("changed from the previous version", blank=True)
    # Empty means every organisation type. Values are OrganisationType values.
    organisation_types = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField()

    objects = LineManager()

    class Meta:
        ordering = ["framework", "section__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="line_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.framework.natural_key(), self.code)

    natural_key.dependencies = ["frameworks.section"]

    def applies_to(self, organisation_type: str) -> bool:
        return not self.organisation_types or organisation_type in self.organisation_types

    @property
    def organisation_type_labels(self) -> list[str]:
        labels = dict(OrganisationType.choices)
        return [labels.get(value, value) for value in self.organisation_types]

    @property
    def tag_labels(self) -> list[str]:
        labels = dict(self.Tag.choices)
        return [labels.get(value, value) for value in self.tags]


class LineLevelDescriptorManager(models.Manager["LineLevelDescriptor"]):
    def get_by_natural_key(self, slug: str, version: str, code: str, number: int) -> LineLevelDescriptor:
        return self.get(
            line__framework__slug=slug,
            line__framework__version=version,
            line__code=code,
            level__number=number,
        )


class LineLevelDescriptor(models.Model):
    """What a level looks like for one line, where the framework says so."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="level_descriptors")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    objects = LineLevelDescriptorManager()

    class Meta:
        ordering = ["line", "level__number"]
        constraints = [
            models.UniqueConstraint(fields=["line", "level"], name="line_level_descriptor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.line.code} level {self.level.number}"

    def natural_key(self) -> tuple[str, str, str, int]:
        return (*self.line.natural_key(), self.level.number)

    natural_key.dependencies = ["frameworks.line", "frameworks.level"]
