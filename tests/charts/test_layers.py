"""The import direction, read from the source with ``ast`` (nothing is imported).

- Django-free modules (the clinical and statistical rules, the synthetic-data
  generator, the chart style and figures) import no Django, and only other
  Django-free modules of Afterglow, so the CLI, the API and the pages share them.
- The low apps (``accounts``, ``patients``, ``instruments``) import no app above them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import afterglow
from afterglow.charts.marks import PCL5_CODES
from afterglow.instruments.catalog import get_instrument
from afterglow.patients import selectors as patient_selectors

SRC = Path(afterglow.__file__).parent

#: Documented as Django-free (module docstrings, CONTRIBUTING "Clinical rules are
#: Django-free", design.md "pure domain modules"). Folders stand for every module in them.
DJANGO_FREE = (
    "instruments/scoring.py",
    "instruments/catalog.py",
    "instruments/catalog_validation.py",
    "intake/rules.py",
    "outcomes/rules.py",
    "alerts/rules.py",
    "diary/rules.py",
    "treatment/dosing.py",
    "treatment/eligibility.py",
    "treatment/safety.py",
    "treatment/schedule.py",
    "treatment/therapy_window.py",
    "treatment/presets.py",
    "audit/chain.py",
    "analytics/engine",
    "analytics/benefit.py",
    "analytics/evidence.py",
    "analytics/evidence_clinic.py",
    "analytics/evidence_schema.py",
    "analytics/export.py",
    "core/csvsafe.py",
    "demo/synthetic.py",
    "demo/synthetic_diary.py",
    "demo/synthetic_params.py",
    "demo/synthetic_pcl5.py",
    "demo/synthetic_phq9.py",
    "demo/synthetic_registry.py",
    "demo/synthetic_therapy.py",
    "demo/synthetic_treatment.py",
    "charts/style.py",
    "patients/phones.py",
    "schedules/channels.py",
    "charts/marks.py",
    "charts/figures.py",
    "imaging/extract.py",
    "imaging/synthetic.py",
    "imaging/analysis.py",
    "imaging/evidence.py",
    "research/deid.py",
    "research/redcap.py",
    "research/codebook.py",
    "research/redcap_parse.py",
    "research/tables.py",
    "research/writers.py",
    "fhir/codes.py",
    "fhir/observations.py",
    "fhir/questionnaires.py",
    "fhir/treatment.py",
    "fhir/validation.py",
)

#: Floors, bottom up. A low app may import only the apps listed for it.
LOW_APPS: dict[str, set[str]] = {
    # ``audit`` is written by every read and write path (design.md): it is infrastructure.
    "accounts": {"core", "audit"},
    "patients": {"core", "audit", "accounts"},
    "instruments": {"core", "audit", "accounts", "patients"},
}
#: Upward imports that are deliberate, each said at the call (design.md: "where a write
#: in a low app must tell a higher one, say why at the call").
ALLOWED_UPWARD = {
    # Storing an answer raises its alerts and closes its invitation in one transaction.
    ("instruments/services.py", "alerts"),
    ("instruments/services.py", "schedules"),
}


def modules(entry: str) -> list[Path]:
    path = SRC / entry
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (inside functions too); imports under
    ``if TYPE_CHECKING:`` are skipped, as they never run."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node) if child is not node}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            # ``from afterglow.analytics import evidence_schema`` imports a module too.
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; Afterglow uses absolute imports")


def as_file(module: str) -> Path | None:
    """The source file of an ``afterglow...`` module name, None for a name in a module."""
    parts = module.split(".")[1:]
    for candidate in (SRC.joinpath(*parts).with_suffix(".py"), SRC.joinpath(*parts, "__init__.py")):
        if candidate.exists():
            return candidate
    return None


def test_the_django_free_modules_import_no_django() -> None:
    free = {path for entry in DJANGO_FREE for path in modules(entry)}
    assert all(path.exists() for path in free), "a listed Django-free module moved"
    problems = []
    for path in sorted(free):
        name = path.relative_to(SRC)
        for module in imports(path):
            if module == "django" or module.startswith("django."):
                problems.append(f"{name} imports {module}")
            elif module.startswith("afterglow."):
                target = as_file(module)
                package_init = target is not None and target.name == "__init__.py"
                if target is not None and target not in free and not package_init:
                    problems.append(f"{name} imports {module}, which is not Django-free")
                if package_init and target is not None and target.read_text().strip():
                    problems.append(f"{name} imports the package {module}, which runs code")
    assert problems == []


def test_the_low_apps_import_no_app_above_them() -> None:
    problems = []
    for app, allowed in LOW_APPS.items():
        for path in sorted((SRC / app).rglob("*.py")):
            name = str(path.relative_to(SRC))
            if "/migrations/" in name:
                continue  # generated; they name other apps' models by string anyway
            for module in imports(path):
                if not module.startswith("afterglow."):
                    continue
                other = module.split(".")[1]
                upward = (SRC / other).is_dir() and other != app and other not in allowed
                if upward and (name, other) not in ALLOWED_UPWARD:
                    problems.append(f"{name} imports {module}")
    assert sorted(set(problems)) == []


def test_patients_no_longer_imports_the_apps_it_used_to_gather_for_the_chart() -> None:
    gathered = {"treatment", "diary", "schedules", "outcomes", "instruments", "charts"}
    found = {
        module.split(".")[1]
        for path in (SRC / "patients").rglob("*.py")
        for module in imports(path)
        if module.startswith("afterglow.")
    }
    assert found & gathered == set()


def test_the_checker_catches_a_django_import_and_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from django.db import models\nimport afterglow.treatment.models\n")
    assert list(imports(bad)) == [
        "django.db",
        "django.db.models",
        "afterglow.treatment.models",
    ]


def test_the_patient_lists_pcl5_codes_are_the_charts_and_the_catalogs() -> None:
    assert patient_selectors.PCL5_CODES == PCL5_CODES
    assert {get_instrument(code).code for code in PCL5_CODES} == set(PCL5_CODES)
