#!/usr/bin/env python3
"""The automation-library's module checks, re-implemented with the standard library only.

What automation-library runs on a module before it is accepted (linter.py and
_utils/compliance/validators/, see /work/shared/spec/module-protocol.md section 9):
- every JSON file equals json.dumps(json.loads(text), indent=2) (no final newline, \\uXXXX);
- manifest.json: uuid, name, slug ^[a-z]([a-z_.\\-]|\\d)*$, semver version, Draft-7
  configuration, at least one category from the library's allowed list;
- CHANGELOG.md in its Keep a Changelog form, versions strictly descending;
- a logo: logo.svg, or a square logo.png of at most 50 KiB;
- trigger_*.json and connector_*.json with name, description, uuid, docker_parameters and a
  Draft-7 `arguments` (`results` too for triggers, none for connectors); each trigger paired
  with a connector of the same uuid, name, description, docker_parameters and arguments;
- uuids unique per kind, and our own: uuid5(module uuid, name), as the SDK generates them;
  docker_parameters unique per kind.

Usage: check_module.py MODULE_DIR. Prints each problem and exits 1 when there is any.
"""

import json
import re
import struct
import sys
import uuid
from pathlib import Path

# automation-library _utils/compliance/validators/manifest.py, ALLOWED_MANIFEST_CATEGORIES.
ALLOWED_CATEGORIES = {
    "Applicative",
    "Cloud Providers",
    "Collaboration Tools",
    "Email",
    "Endpoint",
    "Generic",
    "IAM",
    "Network",
    "Threat Intelligence",
}

SLUG = re.compile(r"^[a-z]([a-z_.\-]|\d)*$")
# semver.org's regular expression (what semver.Version.is_valid accepts), anchored.
SEMVER_TEXT = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
SEMVER = re.compile("^" + SEMVER_TEXT + "$")
CHANGELOG_SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
CHANGELOG_SENTENCES = [
    "All notable changes to this project will be documented in this file.",
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.0.0/), "
    "and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).",
]
SKIPPED_DIRS = {".git", "node_modules"}

JSON_TYPES = {"array", "boolean", "integer", "null", "number", "object", "string"}


class Problems:
    def __init__(self):
        self.items = []

    def add(self, path, text):
        self.items.append(f"{path}: {text}")


def json_files(root):
    for path in sorted(root.rglob("*.json")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIRS or part.startswith("build") for part in relative.parts[:-1]):
            continue
        yield path


def check_json_text(root, problems):
    """linter.py: the text must be exactly what json.dumps(..., indent=2) writes."""
    for path in json_files(root):
        text = path.read_text(encoding="utf-8")
        try:
            expected = json.dumps(json.loads(text), indent=2)
        except ValueError as error:
            problems.add(path, f"not valid JSON ({error})")
            continue
        if text != expected:
            problems.add(path, "not formatted as json.dumps(json.loads(text), indent=2) writes it")


def schema_problem(schema, where="schema"):
    """The Draft-7 meta-schema's rules for the keywords a catalog uses; None when valid."""
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return f"{where} is not an object or a boolean"
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not kinds or any(k not in JSON_TYPES for k in kinds):
            return f"{where}.type {kind!r} is not a JSON Schema type"
        if isinstance(kind, list) and len(set(kinds)) != len(kinds):
            return f"{where}.type has duplicates"
    for key in ("$schema", "$id", "$ref", "title", "description", "pattern", "format"):
        if key in schema and not isinstance(schema[key], str):
            return f"{where}.{key} is not a string"
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if key in schema and (isinstance(schema[key], bool) or not isinstance(schema[key], (int, float))):
            return f"{where}.{key} is not a number"
    if "multipleOf" in schema and schema["multipleOf"] <= 0:
        return f"{where}.multipleOf is not > 0"
    for key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        value = schema.get(key)
        if key in schema and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return f"{where}.{key} is not a non-negative integer"
    if "required" in schema:
        required = schema["required"]
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            return f"{where}.required is not an array of strings"
        if len(set(required)) != len(required):
            return f"{where}.required has duplicates"
    if "enum" in schema and not isinstance(schema["enum"], list):
        return f"{where}.enum is not an array"
    for key in ("properties", "patternProperties", "definitions"):
        if key in schema:
            if not isinstance(schema[key], dict):
                return f"{where}.{key} is not an object"
            for name, sub in schema[key].items():
                problem = schema_problem(sub, f"{where}.{key}.{name}")
                if problem:
                    return problem
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            if not isinstance(schema[key], list) or not schema[key]:
                return f"{where}.{key} is not a non-empty array"
            for i, sub in enumerate(schema[key]):
                problem = schema_problem(sub, f"{where}.{key}[{i}]")
                if problem:
                    return problem
    for key in ("not", "additionalProperties", "additionalItems", "contains", "propertyNames",
                "if", "then", "else"):
        if key in schema:
            problem = schema_problem(schema[key], f"{where}.{key}")
            if problem:
                return problem
    if "items" in schema:
        items = schema["items"]
        for i, sub in enumerate(items if isinstance(items, list) else [items]):
            problem = schema_problem(sub, f"{where}.items[{i}]")
            if problem:
                return problem
    return None


def load_object(path, problems):
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problems.add(path, f"can't load JSON ({error})")
        return None
    if not isinstance(value, dict):
        problems.add(path, "is not a JSON object")
        return None
    return value


def check_manifest(root, problems):
    path = root / "manifest.json"
    if not path.is_file():
        problems.add(path, "manifest.json is missing")
        return None
    manifest = load_object(path, problems)
    if manifest is None:
        return None
    for key in ("uuid", "name", "slug", "version", "configuration"):
        if not manifest.get(key):
            problems.add(path, f"`{key}` is not present in manifest.json")
    try:
        uuid.UUID(str(manifest.get("uuid")))
    except ValueError:
        problems.add(path, "`uuid` is not a UUID")
    if manifest.get("slug") and not SLUG.match(str(manifest["slug"])):
        problems.add(path, "`slug` is not correct in manifest.json")
    if not SEMVER.match(str(manifest.get("version", ""))):
        problems.add(path, f"'{manifest.get('version')}' is not valid semantic version")
    problem = schema_problem(manifest.get("configuration"), "configuration")
    if problem:
        problems.add(path, f"`configuration` is not valid JSON schema ({problem})")
    categories = manifest.get("categories", [])
    if not isinstance(categories, list) or not categories:
        problems.add(path, "`category` is non-existent or doesn't contain any category")
    else:
        for category in categories:
            if category not in ALLOWED_CATEGORIES:
                problems.add(path, f"`category` could not contain value '{category}'")
    return manifest


def headings(text, depth):
    """changelog.py's parse_changelog_header: (title, body) of each heading of that depth."""
    pattern = re.compile(r"(\n{0}|^{0})\s+?(.*)\n".format("#" * depth))
    found = []
    for match in pattern.finditer(text):
        following = pattern.search(text[match.end():])
        body = text[match.end():match.end() + following.start()] if following else text[match.end():]
        found.append((match.group().strip(), match.group(2).strip(), body))
    return found


def semver_key(version):
    match = SEMVER.match(version)
    core = tuple(int(match.group(g)) for g in ("major", "minor", "patch"))
    # A pre-release sorts before its release; enough for a changelog's order.
    return core + ((0,) if match.group("prerelease") else (1,))


def check_changelog(root, problems, manifest):
    path = root / "CHANGELOG.md"
    if not path.is_file():
        problems.add(path, "changelog is missing")
        return
    text = path.read_text(encoding="utf-8")
    tops = headings(text, 1)
    if not tops:
        problems.add(path, "No 'Changelog' header found.")
        return
    raw, title, body = tops[0]
    if not text.startswith("# "):
        problems.add(path, "Changelog header not placed on first line.")
    if len(tops) > 1:
        problems.add(path, "Unexpected additional top-level heading found.")
    if title not in {"Changelog", "Change log"}:
        problems.add(path, f"Header title not valid: {title!r}")
    for sentence in CHANGELOG_SENTENCES:
        if sentence not in body.replace("\n", " "):
            problems.add(path, f"Missing default content '{sentence}'")
    versions = headings(text, 2)
    if not versions:
        problems.add(path, "No entries in changelog")
    numbers = []
    for _, title, body in versions:
        found = re.search(SEMVER_TEXT, title)
        if found:
            numbers.append(found.group().strip())
            date = re.search(r"\d\d\d\d-\d\d-\d\d", title)
            if not date:
                problems.add(path, f"'{title}': versions need a release date 'YYYY-MM-DD'")
            elif not re.match(r"\d\d\d\d-[0-1][\d]-[0-3][\d]", date.group()):
                problems.add(path, f"'{title}': date does not match format 'YYYY-MM-DD'")
            elif not re.fullmatch(r"\d\d\d\d-\d\d-\d\d - " + SEMVER_TEXT, title):
                problems.add(path, f"'{title}' is not of the form 'YYYY-MM-DD - X.Y.Z'")
        elif "unreleased" not in title.lower():
            problems.add(path, f"Line '{title}' has invalid semantic version.")
        flat = body.replace("\n", "").strip()
        if flat and not flat.startswith("###"):
            problems.add(path, f"'{title}': version has content outside of a section.")
        for _, section, _ in headings(body, 3):
            if section not in CHANGELOG_SECTIONS:
                problems.add(path, f"'{title}': \"{section}\" is not a valid section for a version")
    for newer, older in zip(numbers, numbers[1:]):
        if semver_key(newer) <= semver_key(older):
            problems.add(path, f"Versions are not in descending order ({newer} before {older}).")
    if manifest and numbers and numbers[0] != manifest.get("version"):
        problems.add(path, f"the latest entry {numbers[0]} is not manifest.json's version {manifest.get('version')}")


def check_logo(root, problems):
    svg = root / "logo.svg"
    png = root / "logo.png"
    if svg.is_file():
        text = svg.read_text(encoding="utf-8")
        if "<svg" not in text:
            problems.add(svg, "is not an SVG image")
        return
    if not png.is_file():
        problems.add(root, "no logo: add logo.svg, or a square logo.png of at most 50 KiB")
        return
    data = png.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        problems.add(png, "is not a PNG image")
        return
    width, height = struct.unpack(">II", data[16:24])
    if width != height:
        problems.add(png, f"is not square ({width}x{height})")
    if len(data) > 50 * 1024:
        problems.add(png, f"is larger than 50 KiB ({len(data)} bytes)")


def check_catalog(root, problems, manifest):
    module_uuid = None
    if manifest:
        try:
            module_uuid = uuid.UUID(str(manifest.get("uuid")))
        except ValueError:
            pass
    items = {"trigger": {}, "connector": {}}
    for kind in items:
        for path in sorted(root.glob(f"{kind}_*.json")):
            item = load_object(path, problems)
            if item is None:
                continue
            items[kind][path.name[len(kind) + 1:]] = (path, item)
            for key in ("name", "uuid", "description", "docker_parameters"):
                if not isinstance(item.get(key), str) or not item.get(key):
                    problems.add(path, f"`{key}` is not present")
            if not isinstance(item.get("arguments"), dict):
                problems.add(path, "`arguments` is not present")
            else:
                problem = schema_problem(item["arguments"], "arguments")
                if problem:
                    problems.add(path, f"`arguments` is not valid JSON schema ({problem})")
            if kind == "trigger":
                if not isinstance(item.get("results"), dict):
                    problems.add(path, "`results` is not present")
                else:
                    problem = schema_problem(item["results"], "results")
                    if problem:
                        problems.add(path, f"`results` is not valid JSON schema ({problem})")
            elif "results" in item:
                problems.add(path, "a connector has no `results`")
            if module_uuid and isinstance(item.get("name"), str):
                expected = str(uuid.uuid5(module_uuid, item["name"]))
                if item.get("uuid") != expected:
                    problems.add(path, f"`uuid` is not uuid5(module uuid, name) = {expected}")
        for key, error in (("uuid", "UUID is not unique"), ("docker_parameters", "`docker_parameters` is not unique")):
            seen = {}
            for path, item in items[kind].values():
                seen.setdefault(item.get(key), []).append(path)
            for paths in seen.values():
                if len(paths) > 1:
                    for path in paths:
                        problems.add(path, error)
    if not items["trigger"]:
        problems.add(root, "no trigger_*.json")
    for suffix, (path, trigger) in items["trigger"].items():
        if suffix not in items["connector"]:
            problems.add(path, f"no connector_{suffix} beside it: the platform would register no connector")
            continue
        connector_path, connector = items["connector"][suffix]
        for key in ("uuid", "name", "description", "docker_parameters", "arguments"):
            if trigger.get(key) != connector.get(key):
                problems.add(connector_path, f"`{key}` is not consistent with trigger_{suffix}")
    for suffix, (path, _) in items["connector"].items():
        if suffix not in items["trigger"]:
            problems.add(path, f"no trigger_{suffix} beside it")
    if manifest:
        all_uuids = [item.get("uuid") for kind in items for _, item in items[kind].values()]
        if manifest.get("uuid") in all_uuids:
            problems.add(root / "manifest.json", "the module uuid is also a trigger's or connector's")


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} MODULE_DIR", file=sys.stderr)
        return 2
    root = Path(argv[1])
    problems = Problems()
    check_json_text(root, problems)
    manifest = check_manifest(root, problems)
    check_changelog(root, problems, manifest)
    check_logo(root, problems)
    check_catalog(root, problems, manifest)
    for item in problems.items:
        print(item)
    if problems.items:
        print(f"{len(problems.items)} problem(s)")
        return 1
    print(f"{root}: the module checks pass")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
