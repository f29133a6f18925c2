"""The project can be cited: CITATION.cff is valid CFF 1.2.0 and agrees with the package; LICENSE matches."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import yaml

import theory

ROOT = Path(__file__).resolve().parent.parent


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_citation_cff_is_valid_cff_1_2():
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0.schema.json").read_text())
    cff = _cff()
    jsonschema.Draft7Validator(schema).validate(cff)
    # the validator itself catches a broken file
    broken = dict(cff)
    del broken["authors"]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_citation_agrees_with_the_package_and_the_license():
    cff = _cff()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["version"] == theory.__version__
    assert cff["license"] == project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_references_bib_entries_are_complete_and_unique():
    import re

    text = (ROOT / "references.bib").read_text()
    entries = re.findall(r"@(\w+)\{([^,\s]+),(.*?)\n\}", text, flags=re.S)
    keys = [k for _, k, _ in entries]
    assert len(keys) >= 20 and len(set(keys)) == len(keys)
    for _kind, key, body in entries:
        fields = set(re.findall(r"^\s*(\w+)\s*=", body, flags=re.M))
        assert {"author", "title", "year"} <= fields, key
        assert fields & {"journal", "booktitle", "publisher", "eprint", "howpublished"}, key  # where it can be found
