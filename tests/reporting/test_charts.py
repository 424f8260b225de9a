"""The SVG charts: geometry, validation, escaping, text alternatives, styles, and a WeasyPrint render."""

import itertools
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from django.test import SimpleTestCase
from PIL import Image

from reporting.charts import (
    GRID_COLOUR,
    RADAR_CENTRE,
    RADAR_RADIUS,
    SERIES_STYLES,
    TEXT_COLOUR,
    WHITE,
    Series,
    contrast_ratio,
    distribution_strip,
    outline_runs,
    point_on_axis,
    points_attr,
    radar,
)

SVG = "{http://www.w3.org/2000/svg}"
CX, CY = RADAR_CENTRE
SECTIONS = [f"W{i}" for i in range(1, 9)]


def four_series() -> list[Series]:
    return [
        Series("Agreed", [3.2, 3, 3.5, 2.5, 4, 3.2, 3, 3.4], "agreed"),
        Series("Mean of individual scores", [3.0, 2.9, 3.4, 2.6, 3.6, 3.1, 2.7, 3.3], "mean"),
        Series("Last year (agreed)", [2.8, 2.5, 3, 2, 3.2, 2.6, 2.9, None], "last_year"),
        Series("Target", [4] * 8, "target"),
    ]


def parse(svg: str) -> ET.Element:
    """The chart as XML: parsing also proves the markup is well formed whatever text went in."""
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


class GeometryTests(SimpleTestCase):
    def assertPoint(self, actual: tuple[float, float], expected: tuple[float, float]) -> None:
        self.assertAlmostEqual(actual[0], expected[0], places=6)
        self.assertAlmostEqual(actual[1], expected[1], places=6)

    def test_it_puts_the_top_level_of_axis_0_straight_up(self):
        self.assertPoint(point_on_axis(5, 0, 8), (CX, CY - RADAR_RADIUS))

    def test_it_puts_zero_at_the_centre(self):
        for index in range(5):
            with self.subTest(index=index):
                self.assertPoint(point_on_axis(0, index, 5), (CX, CY))

    def test_it_spaces_the_axes_evenly_clockwise(self):
        # Four axes: up, right, down, left (SVG's y grows downwards).
        self.assertPoint(point_on_axis(5, 1, 4), (CX + RADAR_RADIUS, CY))
        self.assertPoint(point_on_axis(5, 2, 4), (CX, CY + RADAR_RADIUS))
        self.assertPoint(point_on_axis(5, 3, 4), (CX - RADAR_RADIUS, CY))

    def test_it_scales_the_value_linearly_to_the_outer_ring(self):
        self.assertPoint(point_on_axis(2.5, 0, 6), (CX, CY - RADAR_RADIUS / 2))
        self.assertPoint(point_on_axis(2, 0, 6, max_level=4, centre=(0, 0), radius=100), (0, -50))

    def test_it_rejects_values_it_cannot_place(self):
        for value in [-0.01, 5.01, float("nan"), float("inf"), True, "3"]:
            with self.subTest(value=value), self.assertRaises(ValueError):
                point_on_axis(value, 0, 8)

    def test_it_writes_points_with_at_most_two_decimals(self):
        self.assertEqual(points_attr([(240.0, 46.0), (1.234, 5.6), (-0.001, 0)]), "240,46 1.23,5.6 0,0")

    def test_it_joins_all_axes_when_no_value_is_missing(self):
        self.assertEqual(outline_runs([1, 2, 3]), [[0, 1, 2]])

    def test_it_breaks_the_outline_at_missing_values(self):
        self.assertEqual(outline_runs([1, None, 3, 4]), [[2, 3, 0]])
        self.assertEqual(outline_runs([None, 1, None, 2, 3]), [[1], [3, 4]])
        self.assertEqual(outline_runs([None, None, None]), [])


class RadarTests(SimpleTestCase):
    def test_it_draws_3_and_12_axes(self):
        for n_axes in (3, 12):
            axes = [f"S{i}" for i in range(1, n_axes + 1)]
            with self.subTest(n_axes=n_axes):
                root = parse(radar(axes, [Series("Agreed", [3] * n_axes)], title="Sections"))
                self.assertEqual(len(root.findall(f"{SVG}line[@stroke='{GRID_COLOUR}']")), n_axes)
                for code in axes:
                    self.assertIn(code, texts(root))
                # Five rings plus the agreed outline, each with one corner per axis.
                polygons = [p for p in root.iter(f"{SVG}polygon") if p.get("points").count(",") == n_axes]
                self.assertEqual(len(polygons), 6)

    def test_it_places_the_series_where_the_geometry_says(self):
        root = parse(radar(["A", "B", "C", "D"], [Series("Agreed", [5, 0, 2.5, 1])], title="t"))
        outline = root.find(f"{SVG}polygon[@fill='{SERIES_STYLES['agreed'].colour}']")
        expected = [point_on_axis(v, i, 4) for i, v in enumerate([5, 0, 2.5, 1])]
        self.assertEqual(outline.get("points"), points_attr(expected))

    def test_it_is_a_standalone_accessible_image(self):
        svg = radar(SECTIONS, four_series(), title="Well-led 2026")
        root = parse(svg)
        self.assertEqual(root.get("role"), "img")
        self.assertEqual(root.get("viewBox"), f"0 0 {root.get('width')} {root.get('height')}")
        self.assertEqual(root[0].tag, f"{SVG}title")
        self.assertEqual(root[0].text, root.get("aria-label"))
        # Nothing that one engine could draw differently or a CSP would block.
        for forbidden in ("<script", "<style", "class=", "style=", "href", " id=", "<use", "<image"):
            self.assertNotIn(forbidden, svg)

    def test_its_text_alternative_gives_every_figure(self):
        label = parse(radar(SECTIONS, four_series(), title="Well-led 2026")).get("aria-label")
        self.assertTrue(label.startswith("Well-led 2026. Radar chart, levels 0 to 5. "))
        self.assertIn(
            "W1: Agreed 3.2, Mean of individual scores 3.0, Last year (agreed) 2.8, Target 4.0; W2: Agreed 3.0,", label
        )
        self.assertIn("W8: Agreed 3.4, Mean of individual scores 3.3, Last year (agreed) no value, Target 4.0.", label)

    def test_it_escapes_every_text(self):
        hostile = ['<script>alert("x")</script>', "A & B", 'it\'s "quoted"', "W4"]
        series = [Series("</text><script>", [1, 2, 3, 4]), Series("x' onload='y", [2, 2, 2, 2], "target")]
        svg = radar(hostile, series, title='</title><svg onload="alert(1)">')
        self.assertNotIn("<script", svg)
        self.assertNotIn("<svg onload", svg)
        root = parse(svg)  # Well formed, so no text broke out of its element or attribute.
        for text in [*hostile, "</text><script>", "x' onload='y"]:
            self.assertIn(text, texts(root))
        self.assertTrue(root.get("aria-label").startswith('</title><svg onload="alert(1)">.'))

    def test_it_draws_only_the_values_it_has(self):
        series = Series("Agreed", [3, None, 4, 4, None, 2], "agreed")
        root = parse(radar(["A", "B", "C", "D", "E", "F"], [series], title="t"))
        colour = SERIES_STYLES["agreed"].colour
        self.assertIsNone(root.find(f"{SVG}polygon[@fill='{colour}']"))  # No closed, shaded outline.
        runs = [line.get("points") for line in root.findall(f"{SVG}polyline")]
        points = [point_on_axis(v, i, 6) for i, v in enumerate([3, 0, 4, 4, 0, 2])]
        self.assertEqual(runs, [points_attr(points[2:4]), points_attr([points[5], points[0]])])  # C-D and F-A.
        markers = root.findall(f"{SVG}circle[@stroke='{colour}']")
        self.assertEqual(len(markers), 4 + 1)  # One per value, one in the legend.

    def test_it_tells_series_apart_without_colour(self):
        root = parse(radar(SECTIONS, four_series(), title="t"))
        samples = [(line.get("stroke-dasharray"), line.get("stroke")) for line in root.iter(f"{SVG}line")]
        legend = [sample for sample in samples if sample[1] != GRID_COLOUR]
        self.assertEqual(len(legend), 4)
        self.assertEqual(len({dashes for dashes, _ in legend}), 4)
        legend_names = texts(root)[-4:]
        self.assertEqual(legend_names, [s.name for s in four_series()])
        for first, second in itertools.combinations(SERIES_STYLES.values(), 2):
            self.assertNotEqual(first.dasharray, second.dasharray)
            self.assertNotEqual((first.marker, first.marker_filled), (second.marker, second.marker_filled))

    def test_its_colours_meet_non_text_contrast_on_white(self):
        for colour in [GRID_COLOUR, TEXT_COLOUR, *(style.colour for style in SERIES_STYLES.values())]:
            with self.subTest(colour=colour):
                self.assertGreaterEqual(contrast_ratio(colour, WHITE), 3)
        self.assertLess(contrast_ratio("#FFB81C", WHITE), 3)  # NHS warm yellow: why it is not used.

    def test_it_is_deterministic_and_compact(self):
        first = radar(SECTIONS, four_series(), title="t")
        self.assertEqual(first, radar(SECTIONS, four_series(), title="t"))
        self.assertIsNone(re.search(r"\d\.\d{3}", first))

    def test_it_refuses_what_it_cannot_draw_truthfully(self):
        cases = {
            "too few axes": (["A", "B"], [Series("Agreed", [1, 2])], {}),
            "too many axes": ([str(i) for i in range(13)], [Series("Agreed", [1] * 13)], {}),
            "value above the top": (["A", "B", "C"], [Series("Agreed", [1, 2, 6])], {}),
            "negative value": (["A", "B", "C"], [Series("Agreed", [1, -1, 2])], {}),
            "value above max_level": (["A", "B", "C"], [Series("Agreed", [1, 2, 4])], {"max_level": 3}),
            "too few values": (["A", "B", "C"], [Series("Agreed", [1, 2])], {}),
            "no series": (["A", "B", "C"], [], {}),
            "shared style": (["A", "B", "C"], [Series("Agreed", [1, 2, 3]), Series("Mean", [1, 2, 3])], {}),
            "bad max_level": (["A", "B", "C"], [Series("Agreed", [0, 0, 0])], {"max_level": 0}),
        }
        for case, (axes, series, options) in cases.items():
            with self.subTest(case), self.assertRaises(ValueError):
                radar(axes, series, title="t", **options)
        with self.assertRaises(ValueError):
            Series("Agreed", [1, 2, 3], "rainbow")


class DistributionStripTests(SimpleTestCase):
    def strip(self, counts=None, **options) -> ET.Element:
        options = {"agreed": 3, "mean": 2.9, "label": "W1.2", **options}
        return parse(distribution_strip({2: 2, 3: 5, 4: 1} if counts is None else counts, **options))

    def cells(self, root: ET.Element) -> list[ET.Element]:
        return [rect for rect in root.findall(f"{SVG}rect") if rect.get("stroke") == GRID_COLOUR]

    def test_it_writes_the_count_of_each_level(self):
        root = self.strip()
        self.assertEqual(texts(root), ["0", "2", "5", "1", "0"])
        self.assertEqual((root.get("width"), root.get("height")), ("160", "28"))

    def test_it_takes_a_mapping_or_a_list(self):
        self.assertEqual(
            distribution_strip({2: 2, 3: 5, 4: 1}, agreed=3, label="x"),
            distribution_strip([0, 2, 5, 1, 0], agreed=3, label="x"),
        )

    def test_it_shades_cells_by_count(self):
        fills = [cell.get("fill") for cell in self.cells(self.strip())]
        self.assertEqual(fills[0], WHITE)
        self.assertEqual(fills[2], SERIES_STYLES["agreed"].colour)  # The largest count: full NHS blue.
        self.assertGreater(contrast_ratio(fills[1], WHITE), contrast_ratio(fills[3], WHITE))  # 2 darker than 1.

    def test_its_counts_are_readable_on_every_shade(self):
        # Shares of the largest count: every step of the shading, and the edges of each.
        for counts in ([0, 1, 2, 3, 4], [1, 5, 9, 13, 17], [1, 0, 0, 0, 40], [26, 51, 76, 100, 74]):
            root = self.strip(counts)
            for cell, number in zip(self.cells(root), root.findall(f"{SVG}text"), strict=True):
                with self.subTest(counts=counts, fill=cell.get("fill")):
                    self.assertGreaterEqual(contrast_ratio(cell.get("fill"), number.get("fill")), 4.5)

    def test_it_marks_the_agreed_level_and_the_mean_by_shape(self):
        root = self.strip(agreed=4, mean=2.5)
        outline = root.find(f"{SVG}rect[@fill='none']")
        agreed_cell = self.cells(root)[3]
        self.assertAlmostEqual(float(outline.get("x")), float(agreed_cell.get("x")) - 1.5)
        tip_x = float(root.find(f"{SVG}polygon").get("points").split(",")[0])
        second, third = (self.cells(root)[i] for i in (1, 2))
        halfway = (float(second.get("x")) + float(third.get("x"))) / 2 + float(second.get("width")) / 2
        self.assertAlmostEqual(tip_x, halfway)

    def test_it_leaves_out_markers_it_was_not_given(self):
        root = self.strip(agreed=None, mean=None)
        self.assertIsNone(root.find(f"{SVG}rect[@fill='none']"))
        self.assertIsNone(root.find(f"{SVG}polygon"))
        self.assertEqual(
            root.get("aria-label"),
            "W1.2: individual scores 0 at level 1, 2 at level 2, 5 at level 3, 1 at level 4, 0 at level 5.",
        )

    def test_its_text_alternative_gives_every_figure(self):
        root = self.strip(label="W1.2 <b>&")
        self.assertEqual(
            root.get("aria-label"),
            "W1.2 <b>&: individual scores 0 at level 1, 2 at level 2, 5 at level 3, 1 at level 4, 0 at level 5; "
            "agreed level 3; mean 2.9.",
        )
        self.assertEqual(root.find(f"{SVG}title").text, root.get("aria-label"))

    def test_it_draws_no_scores_yet(self):
        self.assertEqual(texts(self.strip([0, 0, 0, 0, 0], agreed=None, mean=None)), ["0"] * 5)

    def test_it_refuses_bad_figures(self):
        cases = {
            "four counts": ([1, 2, 3, 4], {}),
            "level 6": ({6: 1}, {}),
            "negative count": ([1, -1, 0, 0, 0], {}),
            "fractional count": ([1, 0.5, 0, 0, 0], {}),
            "agreed 0": ([1, 1, 1, 1, 1], {"agreed": 0}),
            "agreed 6": ([1, 1, 1, 1, 1], {"agreed": 6}),
            "mean below 1": ([1, 1, 1, 1, 1], {"mean": 0.5}),
            "mean above 5": ([1, 1, 1, 1, 1], {"mean": 5.5}),
        }
        for case, (counts, options) in cases.items():
            with self.subTest(case), self.assertRaises(ValueError):
                distribution_strip(counts, **{"agreed": 3, "label": "x", **options})


class WeasyPrintTests(SimpleTestCase):
    """Both charts inline in a page come out of WeasyPrint as visible drawings."""

    def test_it_renders_both_charts_in_a_pdf(self):
        # Imported here so that the pure chart tests above run even without WeasyPrint's system libraries.
        import weasyprint

        chart = radar(SECTIONS, four_series(), title="Well-led 2026")
        strip = distribution_strip([0, 2, 5, 1, 0], agreed=3, mean=2.9, label="W1.2")
        html = f"<!doctype html><html><body style='margin:0'>{chart}<p>{strip}</p></body></html>"
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder, "charts.pdf")
            pdf.write_bytes(weasyprint.HTML(string=html).write_pdf())
            subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", pdf, Path(folder, "page")], check=True)
            with Image.open(Path(folder, "page.png")) as page:
                colours = page.convert("RGB").getcolors(maxcolors=1 << 24)
        blue = sum(n for n, (r, g, b) in colours if b > 120 and r < 100)  # NHS blue lines, markers and cells.
        dark = sum(n for n, rgb in colours if max(rgb) < 90)  # Labels, outline and mean marker.
        self.assertGreater(blue, 200)
        self.assertGreater(dark, 100)
