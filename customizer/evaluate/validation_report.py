"""The "Compiles and passes" section of ``docs/evaluation.md``: compile and pass rates of top-1 and best-of-5.

Validated runs are expensive and need each project's dependency jars, so they usually live in their own results
folder (``testtailor evaluate --validate --out …``). Their summary is saved to ``docs/validation.json`` (as the
decoding section keeps ``docs/decoding.json``), so regenerating the report from the main results folder, on any
machine, keeps the section; a report that sees validated cells refreshes the JSON.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from customizer.evaluate.numbers import fmt
from customizer.evaluate.store import iter_cells, read_json_if_present
from customizer.evaluate.systems import system_rank
from customizer.evaluate.validation import COMPILING, read_build_records

VALIDATION_JSON = "validation.json"
_SPLITS = ("random", "method", "class")


def _pct(hits: int, n: int) -> float | None:
    return round(100.0 * hits / n, 1) if n else None


def summarize_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts and rates of validated rows. A pair counts when none of its candidates is ``unchecked`` (that
    outcome says nothing about the candidate: TestNG, a test file that cannot take a method, no build)."""
    checked = [r["validation"] for r in rows if "unchecked" not in r["validation"]["outcomes"]]
    n = len(checked)
    top1 = [v["top1"] for v in checked]
    best = [v["best5"] for v in checked]
    outcomes: dict[str, int] = defaultdict(int)
    for o in top1:
        outcomes[o] += 1
    return {"pairs": len(rows), "checked": n,
            "top1_compiles": _pct(sum(o in COMPILING for o in top1), n),
            "top1_passes": _pct(sum(o == "passing" for o in top1), n),
            "best5_compiles": _pct(sum(o in COMPILING for o in best), n),
            "best5_passes": _pct(sum(o == "passing" for o in best), n),
            "top1_outcomes": dict(sorted(outcomes.items()))}


def collect(dirs: Sequence[Path]) -> dict[str, Any]:
    """Per project: build record and, per split and system, the summary of every validated row (all folds)."""
    rows: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    builds: dict[str, dict[str, Any]] = {}
    models: set[str] = set()
    for out in dirs:
        builds.update(read_build_records(out))
        for cell, cell_rows, run in iter_cells(out):
            validated = [r for r in cell_rows if "validation" in r]
            if validated:
                rows[(cell.repo, cell.split, cell.system)].extend(validated)
                if run and run.get("base_model"):
                    models.add(str(run["base_model"]))
    projects: dict[str, Any] = {}
    for repo in sorted({k[0] for k in rows} | set(builds)):
        record = builds.get(repo, {})
        projects[repo] = {"builds": bool(record.get("builds")), "reason": record.get("reason", ""),
                          "control": record.get("reference_control"),
                          "build_systems": sorted({m.get("build_system", "") for m in
                                                   record.get("modules", {}).values()}), "cells": []}
    for (repo, split, system), cell_rows in sorted(rows.items()):
        projects[repo]["cells"].append({"split": split, "system": system, **summarize_rows(cell_rows)})
    return {"projects": projects, "base_models": sorted(models)}


def update_json(docs: Path, dirs: Sequence[Path], command: str) -> bool:
    """Write ``docs/validation.json`` from ``dirs`` when they hold validated cells; False (file kept) if none."""
    data = collect(dirs)
    if not any(p["cells"] for p in data["projects"].values()):
        return False
    data["command"] = command
    data["sources"] = [str(d) for d in dirs]
    (docs / VALIDATION_JSON).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return True


def _cell_key(cell: dict[str, Any]) -> tuple[int, tuple[bool, int, str]]:
    return _SPLITS.index(cell["split"]) if cell["split"] in _SPLITS else 9, system_rank(cell["system"])


def render_validation(docs: Path) -> list[str]:
    """Markdown lines of the section from ``docs/validation.json``, or none when it is absent."""
    data = read_json_if_present(docs / VALIDATION_JSON)
    if data is None:
        return []
    projects: dict[str, Any] = data.get("projects", {})
    lines = ["## Compiles and passes", "",
             "Each held-out pair's candidates placed into the test class of the developer's test, as the product "
             "places them, compiled with `javac` against the project's classes and jars (found offline; Debian's "
             "JUnit jars fill in) and run alone with the JUnit Platform console launcher (20 s limit, no network): "
             "% of checked pairs whose top-1 candidate compiles / passes, and whose best of the top 5 compiles / "
             "passes (what `--validate` offers the user). *Compiles* includes failing and timed-out tests. A pair "
             "is checked when none of its candidates was left unchecked (TestNG, a test file that cannot take a "
             "method).", ""]
    if data.get("base_models"):
        lines += ["Model systems ran on: " + "; ".join(data["base_models"]) + ".", ""]
    built = {r: p for r, p in projects.items() if p["builds"]}
    if built:
        lines += ["| project | split | system | pairs checked | top-1 compiles % | top-1 passes % | "
                  "best-of-5 compiles % | best-of-5 passes % |", "|---|---|---|---|---|---|---|---|"]
        for repo, project in built.items():
            for cell in sorted(project["cells"], key=_cell_key):
                lines.append(f"| {repo} | {cell['split']} | {cell['system']} | {cell['checked']}/{cell['pairs']} | "
                             f"{fmt(cell['top1_compiles'])} | {fmt(cell['top1_passes'])} | "
                             f"{fmt(cell['best5_compiles'])} | {fmt(cell['best5_passes'])} |")
        lines.append("")
        controls = [f"{repo} {c['passes']}/{c['pairs']} pass ({c['compiles']} compile)" for repo, p in built.items()
                    if (c := p.get("control"))]
        if controls:
            lines += ["Control: the developers' own tests of the first checked pairs, validated the same way (a "
                      "project where they fail too cannot show passing candidates here): " + ", ".join(controls)
                      + ".", ""]
        notes = [f"- {repo}: {p['reason']}" for repo, p in built.items() if p.get("reason")]
        if notes:
            lines += ["Built with caveats:", "", *notes, ""]
    lines.append("Projects built here: " + (", ".join(f"{r} ({'/'.join(p['build_systems']) or '?'})"
                                                      for r, p in built.items()) or "none") + ".")
    failed = {r: p for r, p in projects.items() if not p["builds"]}
    if failed:
        lines += ["", "Projects that could not be built here (their candidates are all unchecked, so they have no "
                  "rates):", ""]
        lines += [f"- {repo}: {p['reason'] or 'no build record'}" for repo, p in failed.items()]
    lines.append("")
    if data.get("command"):
        lines += ["Rendered into `docs/validation.json` by:", "", "```bash", data["command"], "```", ""]
    return lines
