"""Every library model round-trips through Django's serialisers by natural key, without ids."""

import json

from django.core import serializers
from django.test import TestCase

from frameworks.models import Framework, Level, Line, LineLevelDescriptor, Scale, Section
from tests.factories import make_framework

MODELS = (Scale, Level, Framework, Section, Line, LineLevelDescriptor)


class NaturalKeyTests(TestCase):
    def test_the_library_round_trips_by_natural_key(self):
        framework = make_framework(slug="round-trip", sections=2, lines_per_section=2)
        line = framework.lines.get(code="S1.1")
        LineLevelDescriptor.objects.create(line=line, level=framework.scale.levels.get(number=3), text="Three")
        objects = [obj for model in MODELS for obj in model.objects.all()]
        data = serializers.serialize("json", objects, use_natural_foreign_keys=True, use_natural_primary_keys=True)
        self.assertTrue(all("pk" not in row for row in json.loads(data)))
        before = [model.objects.count() for model in MODELS]

        Framework.objects.all().delete()
        Scale.objects.all().delete()
        for obj in serializers.deserialize("json", data):
            obj.save()

        self.assertEqual([model.objects.count() for model in MODELS], before)
        restored = Line.objects.get_by_natural_key("round-trip", "1", "S1.1")
        self.assertEqual(restored.level_descriptors.get().text, "Three")
        self.assertEqual(restored.section, Section.objects.get_by_natural_key("round-trip", "1", "S1"))
