"""A file's findings, at most ``max_findings_per_code`` listed per kind, the rest counted exactly.

Why a cap: a 100,000-row file with a wrong value in every cell holds up to 2,000,000 findings.
Listing each one cost the server ~4 s and hundreds of MB for one upload (issue 12: any file under
the size cap is judged in <= 10 s) and gave a report nobody can read. The first findings of a kind
show where the trouble is; one summary line per kind says how many more there are, and the counts
per severity (what the app's report shows) stay exact. The cap is data: ``[limits]
max_findings_per_code`` in ``geodata/projects/schema.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pipelines.projects.limits import limit
from pipelines.projects.schema import Problem, ProjectSchema
from pipelines.projects.values import cell_text

SUMMARY_CODE = "more_findings"


class Findings:
    """Problems in the order found: the first ``cap`` of each code listed, later ones only counted.

    Behaves like the list it replaces for the readers (``append``, ``extend``, iteration over the
    listed problems). Callers that would format an expensive message ask :meth:`room` first.
    """

    def __init__(self, cap: int, problems: Iterable[Problem] = ()) -> None:
        self.cap = cap
        self.listed: list[Problem] = []
        self._seen: dict[str, int] = {}
        self._hidden: dict[tuple[str, str], list] = {}  # (severity, code) -> [count, column]
        self._first: dict[str, tuple[str, str]] = {}
        self.extend(problems)

    def room(self, severity: str, code: str, column: str = "") -> bool:
        """Count one finding of ``code``; True when it is to be listed (only then is its message made)."""
        if self._seen.get(code, 0) >= self.cap:
            self.skip(severity, code, column, 1)
            return False
        self._seen[code] = self._seen.get(code, 0) + 1
        return True

    def room_left(self, code: str) -> int:
        """How many more findings of ``code`` would be listed."""
        return max(self.cap - self._seen.get(code, 0), 0)

    def note(self, severity: str, code: str, row: int | None, column: str, schema: ProjectSchema,
             **params: object) -> bool:
        """Add a finding whose message is made from ``schema`` only if it is listed; True when listed."""
        if not self.room(severity, code, column):
            return False
        self._list(Problem(severity, code, row, column, *schema.message(code, **params)))
        return True

    def skip(self, severity: str, code: str, column: str, count: int) -> None:
        """Count ``count`` more findings of ``code`` that are not listed (past the cap)."""
        if count > 0:
            self._seen[code] = self._seen.get(code, 0) + count
            entry = self._hidden.setdefault((severity, code), [0, column])
            entry[0] += count

    def append(self, problem: Problem) -> None:
        """List ``problem`` if its kind still has room, else count it."""
        if self.room(problem.severity, problem.code, problem.column):
            self._list(problem)

    def _list(self, problem: Problem) -> None:
        self.listed.append(problem)
        self._first.setdefault(problem.code, (problem.message_de, problem.message_en))

    def extend(self, problems: Iterable[Problem]) -> None:
        """:meth:`append` each of ``problems``; another :class:`Findings` brings its unlisted counts too."""
        for p in problems:
            self.append(p)
        if isinstance(problems, Findings):  # its unlisted findings were past its cap: past ours too
            for (severity, code), (count, column) in problems._hidden.items():  # noqa: SLF001 - same class
                self.skip(severity, code, column, count)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.listed)

    def __len__(self) -> int:
        return len(self.listed)

    def hidden(self) -> dict[str, int]:
        """Findings counted but not listed, per severity."""
        out: dict[str, int] = {}
        for (severity, _), (count, _) in self._hidden.items():
            out[severity] = out.get(severity, 0) + count
        return out

    def problems(self, schema: ProjectSchema) -> list[Problem]:
        """The listed problems and one file-level line per kind that has more than the cap."""
        lines = list(self.listed)
        for (severity, code), (count, column) in self._hidden.items():
            de, en = self._first.get(code, (code, code))
            params = {"n": f"{count:,}".replace(",", "."), "n_en": f"{count:,}", "shown": self.cap,
                      "example": cell_text(de, 90), "example_en": cell_text(en, 90)}
            de_line, en_line = schema.message(SUMMARY_CODE, **params)
            lines.append(Problem(severity, SUMMARY_CODE, None, column, de_line, en_line))
        return lines


def findings_for(schema: ProjectSchema, problems: Iterable[Problem] = ()) -> Findings:
    """An empty (or pre-filled) :class:`Findings` with the schema's ``max_findings_per_code``."""
    return Findings(limit(schema.limits, "max_findings_per_code"), problems)
