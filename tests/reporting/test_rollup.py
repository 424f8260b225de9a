"""How figures roll up: the small pure functions behind every maturity figure."""

from decimal import Decimal

from django.test import SimpleTestCase

from reporting.rollup import level_name, mean_of, one_decimal, spread

NAMES = {1: "Emerging", 2: "Developing", 3: "Established", 4: "Embedded", 5: "Exemplary"}


class RollupTests(SimpleTestCase):
    def test_one_decimal_rounds_half_up_as_people_do(self):
        self.assertEqual(one_decimal(3.25), Decimal("3.3"))
        self.assertEqual(one_decimal(2.45), Decimal("2.5"))  # round() would give 2.4
        self.assertEqual(one_decimal(Decimal("3.449")), Decimal("3.4"))

    def test_the_mean_leaves_out_what_is_missing(self):
        self.assertEqual(mean_of([3, 4, None, 4]), Decimal("3.7"))
        self.assertIsNone(mean_of([]))
        self.assertIsNone(mean_of([None, None]))

    def test_the_level_name_is_the_level_reached(self):
        self.assertEqual(level_name(Decimal("3.4"), NAMES), "Established")
        self.assertEqual(level_name(Decimal("3.9"), NAMES), "Established")
        self.assertEqual(level_name(Decimal("4.0"), NAMES), "Embedded")
        self.assertEqual(level_name(Decimal("1.0"), NAMES), "Emerging")
        self.assertEqual(level_name(None, NAMES), "")

    def test_quartiles_sit_inside_the_data(self):
        self.assertEqual(
            spread([Decimal("2.0"), Decimal("3.0"), Decimal("4.0")]), (Decimal("2.5"), Decimal("3.0"), Decimal("3.5"))
        )
        self.assertEqual(spread([1, 2, 3, 4, 5]), (Decimal("2.0"), Decimal("3.0"), Decimal("4.0")))
        self.assertIsNone(spread([3]))
