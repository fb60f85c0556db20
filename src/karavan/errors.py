"""The whole exception tree of Karavan.

Every error Karavan raises on purpose derives from :class:`KaravanError`, and also from the
built-in exception a caller would naturally catch (the pattern of scikit-learn's
``NotFittedError(ValueError, AttributeError)``)::

    KaravanError
    ├── TableError (ValueError)                 a table's content breaks an MRIO rule
    │   ├── ShapeError                          shapes or label counts disagree
    │   ├── LabelError (KeyError)               labels missing, duplicated or misaligned
    │   │   └── BlocError (ConcordanceError)    a bloc is unknown or has no member in the table
    │   ├── BalanceError                        output differs from inputs/uses beyond tolerance
    │   ├── NonFiniteError                      NaN or infinity in a table
    │   ├── NegativeValueError                  a negative value where it cannot be
    │   ├── ZeroOutputError                     a zero-output sector with flows, or division by it
    │   └── NotProductiveError                  spectral radius of A is not below 1
    ├── ConcordanceError (ValueError)           an aggregation mapping is incomplete or leaks totals
    ├── SourceError (ValueError)                a file cannot be read as the format it claims
    │   ├── FormatDetectionError                no format recognises the file
    │   └── ParseError                          a header, row or cell is malformed
    ├── DatasetError                            the local data directory
    │   ├── DatasetNotFoundError (KeyError)     no dataset / year of that name
    │   └── DatasetExistsError (FileExistsError) the name is taken
    ├── IntegrityError (ValueError)             stored data does not match its checksum
    ├── ScenarioError (ValueError)              a scenario spec is invalid, or a run cannot proceed
    └── RegistryError                           the registry of organisations, products, projects
        ├── RecordNotFoundError (LookupError)   no record with that id (HTTP 404)
        ├── RecordValidationError (ValueError)  a field breaks a rule: field and value (422)
        │   └── ImportValidationError           a bulk batch has bad rows: the row-level report
        ├── StaleWriteError                     the record changed since the caller read it (412)
        ├── ConflictError                       a unique value is taken or a bad transition (409)
        ├── AuthenticationError                 no valid credentials (401)
        ├── PermissionDeniedError (PermissionError)  the actor may not do this (403)
        └── RateLimitedError                    too many attempts; retry later (429)

Messages say what was expected, what was found and where: file, row, column, value.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BalanceError",
    "BlocError",
    "ConcordanceError",
    "ConflictError",
    "DatasetError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "FormatDetectionError",
    "ImportValidationError",
    "IntegrityError",
    "KaravanError",
    "LabelError",
    "NegativeValueError",
    "NonFiniteError",
    "NotProductiveError",
    "ParseError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RecordNotFoundError",
    "RecordValidationError",
    "RegistryError",
    "ScenarioError",
    "ShapeError",
    "SourceError",
    "StaleWriteError",
    "TableError",
    "ZeroOutputError",
]


class KaravanError(Exception):
    """Base of every error Karavan raises on purpose."""


class TableError(KaravanError, ValueError):
    """A table's content breaks a rule of multi-regional input-output accounting."""


class ShapeError(TableError):
    """Array shapes or label counts disagree."""


class LabelError(TableError, KeyError):
    """Labels are missing, duplicated, or do not line up between two parts of a table."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else ""


class BalanceError(TableError):
    """Gross output differs from total uses or total inputs beyond the stated tolerance."""


class NonFiniteError(TableError):
    """A table holds NaN or infinity."""


class NegativeValueError(TableError):
    """A value is negative where accounting requires it to be non-negative."""


class ZeroOutputError(TableError):
    """A sector with zero gross output has inputs, sales or stressors, so its coefficients
    are undefined."""


class NotProductiveError(TableError):
    """The technical-coefficient matrix A has spectral radius >= 1: (I - A) has no
    non-negative inverse."""


class ConcordanceError(KaravanError, ValueError):
    """An aggregation mapping does not cover the labels, or its weights do not keep totals."""


class BlocError(LabelError, ConcordanceError):
    """A bloc of regions cannot be resolved against a table: an unknown bloc name, no member
    listed, or no member among the table's regions. Both a label error (the regions do not
    match) and a concordance error (the grouping of regions does not fit the table)."""


class SourceError(KaravanError, ValueError):
    """A file cannot be read as the format it claims to be."""


class FormatDetectionError(SourceError):
    """No known format recognises the file."""


class ParseError(SourceError):
    """A header, row or cell of a source file is malformed.

    Carries the location so that interfaces can show it: ``path``, ``row``, ``column``, ``value``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: object = None,
        column: object = None,
        value: object = None,
    ) -> None:
        where = []
        if path is not None:
            where.append(f"file {path}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        if value is not None:
            where.append(f"value {value!r}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)
        self.path = path
        self.row = row
        self.column = column
        self.value = value


class DatasetError(KaravanError):
    """A problem with the local data directory."""


class DatasetNotFoundError(DatasetError, KeyError):
    """No dataset, or no year within a dataset, has that name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DatasetExistsError(DatasetError, FileExistsError):
    """A dataset of that name already exists."""


class IntegrityError(KaravanError, ValueError):
    """Stored data does not match its recorded checksum or shape."""


class ScenarioError(KaravanError, ValueError):
    """A scenario specification is invalid (the message names the field by its path, e.g.
    ``shocks[2].value``) or a run cannot proceed as asked (say, distributions without values)."""


class RegistryError(KaravanError):
    """A request to the registry cannot be carried out."""


class RecordNotFoundError(RegistryError, LookupError):
    """No record of that kind has that id (or the caller may not see it)."""


class RecordValidationError(RegistryError, ValueError):
    """A field of a record breaks a rule; ``field`` and ``value`` say which."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class ImportValidationError(RecordValidationError):
    """A bulk-import batch has invalid rows; nothing of the batch was stored.

    ``report`` lists one entry per problem: ``{"file", "row", "column", "value", "message"}``.
    """

    def __init__(self, message: str, *, report: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.report = report


class StaleWriteError(RegistryError):
    """The record's version is not the one the caller read: someone else wrote in between."""


class ConflictError(RegistryError):
    """A unique value is already taken, or a workflow transition is not allowed from here."""


class AuthenticationError(RegistryError):
    """No valid credentials: unknown user, wrong password, expired or revoked token."""


class PermissionDeniedError(RegistryError, PermissionError):
    """The actor is authenticated but may not do this."""


class RateLimitedError(RegistryError):
    """Too many attempts in a short time; ``retry_after`` seconds until the next is allowed."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
