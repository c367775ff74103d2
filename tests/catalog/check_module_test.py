#!/usr/bin/env python3
"""check_module.py finds each problem the library's checks find: a copy of the module is broken
one way at a time and must fail with the expected message; the intact copy must pass."""

import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_module  # noqa: E402

MODULE_DIR = Path(sys.argv.pop(1)) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
FILES = ["manifest.json", "CHANGELOG.md", "logo.svg"]


def problems_of(root):
    problems = check_module.Problems()
    check_module.check_json_text(root, problems)
    manifest = check_module.check_manifest(root, problems)
    check_module.check_changelog(root, problems, manifest)
    check_module.check_logo(root, problems)
    check_module.check_catalog(root, problems, manifest)
    return "\n".join(problems.items)


class ModuleChecks(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        for name in FILES:
            shutil.copy(MODULE_DIR / name, self.dir / name)
        for path in list(MODULE_DIR.glob("trigger_*.json")) + list(MODULE_DIR.glob("connector_*.json")):
            shutil.copy(path, self.dir / path.name)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def edit_json(self, name, change):
        path = self.dir / name
        value = json.loads(path.read_text())
        change(value)
        path.write_text(json.dumps(value, indent=2))

    def assertFinds(self, text):
        self.assertIn(text, problems_of(self.dir))

    def test_the_module_passes(self):
        self.assertEqual(problems_of(self.dir), "")

    def test_a_final_newline_fails(self):
        path = self.dir / "manifest.json"
        path.write_text(path.read_text() + "\n")
        self.assertFinds("manifest.json: not formatted")

    def test_non_ascii_text_must_be_escaped(self):
        path = self.dir / "manifest.json"
        path.write_text(path.read_text().replace("Collects", "Collecte\u00e9"))
        self.assertFinds("manifest.json: not formatted")

    def test_a_category_outside_the_list_fails(self):
        self.edit_json("manifest.json", lambda m: m.update(categories=["Mail"]))
        self.assertFinds("could not contain value 'Mail'")

    def test_no_category_fails(self):
        self.edit_json("manifest.json", lambda m: m.update(categories=[]))
        self.assertFinds("doesn't contain any category")

    def test_a_bad_slug_and_version_fail(self):
        self.edit_json("manifest.json", lambda m: m.update(slug="Office365", version="1.0"))
        self.assertFinds("`slug` is not correct")
        self.assertFinds("'1.0' is not valid semantic version")

    def test_a_trigger_without_its_connector_fails(self):
        next(self.dir.glob("connector_*graph.json")).unlink()
        self.assertFinds("no connector_office365_messagetrace_graph.json beside it")

    def test_a_connector_with_another_uuid_fails(self):
        self.edit_json("connector_office365_messagetrace_oauth.json",
                       lambda c: c.update(uuid="469807d0-4783-4136-8c48-2c5fc83526a0"))
        self.assertFinds("`uuid` is not consistent with trigger_office365_messagetrace_oauth.json")

    def test_a_uuid_not_derived_from_the_module_fails(self):
        for kind in ("trigger", "connector"):
            self.edit_json(f"{kind}_office365_messagetrace.json",
                           lambda t: t.update(uuid="431acc24-4496-4ef0-b3c7-00d2f99bf2cf"))
        self.assertFinds("`uuid` is not uuid5(module uuid, name)")

    def test_a_shared_docker_parameters_fails(self):
        for kind in ("trigger", "connector"):
            self.edit_json(f"{kind}_office365_messagetrace.json",
                           lambda t: t.update(docker_parameters="office365_messagetrace_trigger_oauth"))
        self.assertFinds("`docker_parameters` is not unique")

    def test_a_connector_with_results_fails(self):
        self.edit_json("connector_office365_messagetrace.json", lambda c: c.update(results={}))
        self.assertFinds("a connector has no `results`")

    def test_invalid_arguments_schema_fails(self):
        def breaks(t):
            t["arguments"]["properties"]["frequency"]["type"] = "int"
        self.edit_json("trigger_office365_messagetrace.json", breaks)
        self.assertFinds("`arguments` is not valid JSON schema")

    def test_a_trigger_without_results_fails(self):
        self.edit_json("trigger_office365_messagetrace.json", lambda t: t.pop("results"))
        self.assertFinds("`results` is not present")

    def test_a_changelog_section_outside_the_six_fails(self):
        path = self.dir / "CHANGELOG.md"
        path.write_text(path.read_text().replace("### Added", "### New"))
        self.assertFinds('"New" is not a valid section')

    def test_changelog_versions_must_descend(self):
        path = self.dir / "CHANGELOG.md"
        path.write_text(path.read_text() + "\n## 2027-01-01 - 1.1.0\n\n### Fixed\n\n- later\n")
        self.assertFinds("Versions are not in descending order")

    def test_a_changelog_entry_without_a_date_fails(self):
        path = self.dir / "CHANGELOG.md"
        text = path.read_text()
        path.write_text(text.replace("## 2026-12-02 - 1.0.0", "## 1.0.0"))
        self.assertFinds("versions need a release date")

    def test_the_changelog_needs_keep_a_changelog_sentences(self):
        path = self.dir / "CHANGELOG.md"
        path.write_text(path.read_text().replace("All notable changes", "Changes"))
        self.assertFinds("Missing default content")

    def test_a_missing_logo_fails(self):
        (self.dir / "logo.svg").unlink()
        self.assertFinds("no logo")

    def test_a_png_logo_must_be_square(self):
        (self.dir / "logo.svg").unlink()
        header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (64).to_bytes(4, "big") + (32).to_bytes(4, "big")
        (self.dir / "logo.png").write_bytes(header + b"\x00" * 32)
        self.assertFinds("is not square (64x32)")


if __name__ == "__main__":
    unittest.main()
