#!/usr/bin/env python3
"""The Dockerfile's build-time VERSION check, run as the build runs it (sh, VERSION in the
environment) against manifests written as the catalog checks require; and the image's labels
match what the repository holds (a LICENSE for the licenses label, a source URL argument)."""

import json
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

MODULE_DIR = Path(sys.argv.pop(1)) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
DOCKERFILE = (MODULE_DIR / "Dockerfile").read_text()


def version_check():
    """The RUN instruction that checks VERSION against manifest.json, without `RUN `."""
    lines = DOCKERFILE.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("RUN ") and "manifest.json" in line and "VERSION" in line:
            command = [line[len("RUN "):]]
            while command[-1].endswith("\\"):
                i += 1
                command.append(lines[i])
            return "\n".join(command)
    raise AssertionError("no RUN line checks VERSION against manifest.json")


def manifest(version, nested_version=None):
    """A manifest as json.dumps(indent=2) writes it (the form the catalog checks enforce)."""
    configuration = {"type": "object", "properties": {}}
    if nested_version is not None:
        configuration["properties"]["version"] = {"type": "string", "default": nested_version}
        configuration["version"] = nested_version
    return json.dumps({"name": "x", "slug": "x", "version": version, "uuid": "u",
                       "configuration": configuration}, indent=2)


def check_passes(version, text):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "manifest.json").write_text(text)
        result = subprocess.run(["sh", "-c", version_check()], cwd=tmp, env={"VERSION": version, "PATH": "/usr/bin:/bin"},
                                capture_output=True, text=True)
        return result.returncode == 0


class VersionCheck(unittest.TestCase):
    def test_the_manifests_own_version_passes(self):
        self.assertTrue(check_passes("1.0.0", manifest("1.0.0")))
        real = (MODULE_DIR / "manifest.json").read_text()
        self.assertTrue(check_passes(json.loads(real)["version"], real))

    def test_the_last_top_level_key_has_no_comma(self):
        self.assertTrue(check_passes("2.3.4", json.dumps({"name": "x", "version": "2.3.4"}, indent=2)))

    def test_a_version_elsewhere_in_the_manifest_does_not_pass(self):
        self.assertFalse(check_passes("9.9.9", manifest("1.0.0", nested_version="9.9.9")))

    def test_another_empty_or_pattern_like_version_does_not_pass(self):
        self.assertFalse(check_passes("1.0.1", manifest("1.0.0")))
        self.assertFalse(check_passes("", manifest("1.0.0")))
        self.assertFalse(check_passes("1x0x0", manifest("1.0.0")))
        self.assertFalse(check_passes("1.0", manifest("1.0.0")))


class Labels(unittest.TestCase):
    def label(self, name):
        found = re.search(r'org\.opencontainers\.image\.%s="([^"]*)"' % name, DOCKERFILE)
        self.assertIsNotNone(found, name)
        return found.group(1)

    def test_the_licenses_label_is_the_license_files(self):
        self.assertEqual(self.label("licenses"), "MIT")
        license_text = (MODULE_DIR / "LICENSE").read_text()
        self.assertTrue(license_text.startswith("MIT License\n"))
        self.assertIn("Permission is hereby granted, free of charge", license_text)

    def test_the_source_label_is_a_build_argument_with_a_default(self):
        self.assertEqual(self.label("source"), "${SOURCE_URL}")
        self.assertRegex(DOCKERFILE, r"\nARG SOURCE_URL=https://\S+\n")


if __name__ == "__main__":
    unittest.main()
