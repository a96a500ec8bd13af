"""The outcome of checking one project list: kept rows, every problem, and how to say so.

Separate from the rules (:mod:`pipelines.projects.validate`) because the build, the CLI and the
app all read a report (lines, summary, exit code, problem table) without running any rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from pipelines.errors import InputError
from pipelines.projects.findings import SUMMARY_CODE
from pipelines.projects.schema import Problem

# Canonical columns of a validated project row (German names: they are the planners' own schema).
PROJECT_COLUMNS: tuple[str, ...] = (
    "id", "titel", "stadt", "lat", "lon", "area_id", "area_level", "thema", "federfuehrung",
    "beteiligte_referate", "partner", "status", "beginn", "ende", "budget_eur", "link", "source", "row",
)


@dataclass
class ValidationReport:
    """Outcome of one file: the valid projects (canonical columns) and every problem found."""

    source: str
    projects: pd.DataFrame
    problems: list[Problem]
    n_rows: int
    row_label: tuple[str, str] = ("Zeile", "Row")
    is_template: bool = False
    hidden: dict[str, int] = field(default_factory=dict)
    """Findings per severity past ``max_findings_per_code``: counted, summed up in one line per kind, not listed."""
    kept: int | None = None
    """Rows kept, once ``projects`` has been dropped (:meth:`without_rows`); None while ``projects`` holds them."""

    def without_rows(self) -> ValidationReport:
        """This report without its kept rows, their count kept.

        What the sandbox sends back with the placed projects, which carry the same rows (a server holding
        both held each 100,000-row upload twice).
        """
        return replace(self, projects=self.projects.iloc[:0], kept=self.n_valid)

    def severity_counts(self) -> dict[str, int]:
        """Findings per severity ("error", "warning", "info"), the unlisted ones included; summary lines not."""
        out = dict.fromkeys(("error", "warning", "info"), 0)
        for p in self.problems:
            if p.code != SUMMARY_CODE:
                out[p.severity] = out.get(p.severity, 0) + 1
        for severity, count in self.hidden.items():
            out[severity] = out.get(severity, 0) + count
        return out

    @property
    def n_valid(self) -> int:
        """Rows kept."""
        return len(self.projects) if self.kept is None else self.kept

    @property
    def status(self) -> str:
        """"ok" (all rows kept), "partial", "refused" (nothing usable) or "template" (header only)."""
        if self.is_template:
            return "template"
        if self.n_valid == 0:
            return "refused"
        return "ok" if self.n_valid == self.n_rows else "partial"

    @property
    def exit_code(self) -> int:
        """CLI exit code: 0 all rows valid, 1 input problems (some rows dropped, or nothing usable); 2 is usage."""
        return 0 if self.status == "ok" else 1

    def lines(self, lang: str = "de") -> list[str]:
        """One line per problem, e.g. "Zeile 14: lat/lon vertauscht? (lat=11.57, lon=48.13) …"."""
        label = self.row_label[0 if lang == "de" else 1]
        sev = {"de": {"error": "FEHLER", "warning": "Warnung", "info": "Hinweis"},
               "en": {"error": "ERROR", "warning": "warning", "info": "note"}}[lang]
        out = []
        for p in sorted(self.problems, key=lambda p: (p.row or 0, p.severity != "error")):
            where = f"{label} {p.row}" if p.row is not None else ("Datei" if lang == "de" else "File")
            col = f" [{p.column}]" if p.column else ""
            out.append(f"{where}{col} {sev[p.severity]}: {p.message_de if lang == 'de' else p.message_en}")
        return out

    def summary(self, lang: str = "de") -> str:
        """One-line verdict."""
        dropped = self.n_rows - self.n_valid
        if lang == "de":
            return (f"{self.source}: {self.n_rows} Zeilen, {self.n_valid} gültig, {dropped} verworfen"
                    + (" – leere Vorlage (nur Kopfzeile)" if self.is_template else ""))
        return (f"{self.source}: {self.n_rows} rows, {self.n_valid} valid, {dropped} dropped"
                + (" – empty template (header only)" if self.is_template else ""))

    def problems_frame(self) -> pd.DataFrame:
        """Problems as a table (row, severity, column, code, message_de, message_en) for the app."""
        cols = ["row", "severity", "column", "code", "message_de", "message_en"]
        return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.problems], columns=cols)


def require_usable(report: ValidationReport, max_reasons: int = 5) -> None:
    """Raise InputError with the first reasons when a (non-template) file has no valid row."""
    if report.status == "refused":
        reasons = " | ".join(report.lines("de")[:max_reasons])
        raise InputError(report.source, f"keine gültige Zeile / no valid row: {reasons}",
                         fix="Zeilen laut Bericht korrigieren: python -m pipelines validate-projects DATEI")
