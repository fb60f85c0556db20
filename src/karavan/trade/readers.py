"""Trade files -> :class:`~karavan.trade.table.TradeTable`: CEPII BACI, UN Comtrade bulk CSV and
Karavan's generic long format.

**CEPII BACI** (Gaulier and Zignago 2010; one CSV per year, e.g.
``BACI_HS17_Y2021_V202401.csv``): columns ``t`` year, ``i`` exporter and ``j`` importer (ISO
3166 numeric codes, with UN Comtrade's codes for grouped territories such as 842 USA, 757 CHE,
490 Other Asia n.e.s.), ``k`` HS 6-digit product (often stored as a number, so leading zeros
are restored), ``v`` value in thousand USD, ``q`` quantity in metric tons (not used). Without
``j`` (an extract of exports to the world) the table has no partner dimension.

**UN Comtrade** bulk / API CSV (Comtrade Plus): ``refYear`` (or ``period``), ``reporterCode`` /
``reporterISO``, ``partnerCode`` / ``partnerISO`` (0 / ``W00`` = World), ``flowCode`` (``X``
exports, ``M`` imports; re-exports and re-imports are left out), ``cmdCode`` (``TOTAL`` is
left out), ``primaryValue`` in USD (FOB for exports, CIF for imports). Where present,
``freqCode`` must be ``A`` and only the totals over ``partner2Code`` (0), ``customsCode``
(``C00``) and ``motCode`` (0) are used. With ``flow="X"`` reporters are exporters; with
``flow="M"`` the table is built from reported imports (mirror data: partners are exporters).

**Generic long format** (CSV or Parquet): ``year, exporter, importer, product, value``, one
row per flow; ``importer`` is optional (exports to the world), labels are free text (ISO3
recommended), ``value`` non-negative. Units and classification are given as arguments.

Every reader validates at the boundary: a missing column, a malformed number, a negative or
missing value, an unknown country code or a repeated key raises
:class:`~karavan.errors.ParseError` naming the file, the row (the line number of a CSV file,
the header being line 1), the column and the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from karavan.errors import FormatDetectionError, ParseError
from karavan.trade.builtin import m49_codes
from karavan.trade.table import TradeMetadata, TradeTable, duplicated_keys

__all__ = [
    "TradeFormat",
    "detect_trade_format",
    "read_baci",
    "read_comtrade",
    "read_trade",
    "read_trade_long",
]

TradeFormat = Literal["baci", "comtrade", "long"]
Kind = Literal["int", "float", "str"]
HEADER_ROW = 1


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _columns(path: Path) -> list[str]:
    if _is_parquet(path):
        import pyarrow.parquet as pq

        return [str(c) for c in pq.read_schema(path).names]
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ParseError("the file is empty: no header row", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason}", path=str(path)) from None
    return [str(c).strip() for c in head.columns]


def _row_number(path: Path, index: int) -> int:
    return index + 1 if _is_parquet(path) else index + HEADER_ROW + 1


_FAST = {"int": "int64", "float": "float64", "str": "str"}


def _read(path: Path, columns: Mapping[str, Kind]) -> pd.DataFrame:
    """The named columns, parsed; a malformed or missing cell raises ParseError with its row.

    A typed read first (fast on files of millions of rows); only when it fails or finds a
    missing or non-finite number is the file read again as text to locate the bad cell.
    """
    names = list(columns)
    if _is_parquet(path):
        raw = pd.read_parquet(path, columns=names)
        return _parse(path, raw.astype({c: str for c, k in columns.items() if k == "str"}), columns)
    try:
        typed = pd.read_csv(
            path,
            usecols=lambda c: str(c).strip() in columns,
            dtype={c: _FAST[k] for c, k in columns.items()},
            keep_default_na=False,
            na_values={c: [""] for c, k in columns.items() if k != "str"},
            encoding="utf-8-sig",
        )
        typed.columns = [str(c).strip() for c in typed.columns]
        typed = typed[names]
        numeric = [c for c, k in columns.items() if k != "str"]
        clean = (
            bool(np.isfinite(typed[numeric].to_numpy(dtype=np.float64)).all()) if numeric else True
        )
        labels = [c for c, k in columns.items() if k == "str"]
        if clean and all(not typed[c].str.strip().eq("").any() for c in labels):
            for c in labels:
                typed[c] = typed[c].str.strip()
            return typed
    except (ValueError, TypeError, OverflowError):
        pass
    except pd.errors.ParserError as exc:
        raise ParseError(f"malformed CSV: {exc}", path=str(path)) from None
    try:
        raw = pd.read_csv(
            path,
            usecols=lambda c: str(c).strip() in columns,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
    except pd.errors.ParserError as exc:
        raise ParseError(f"malformed CSV: {exc}", path=str(path)) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return _parse(path, raw[names], columns)


def _parse(path: Path, raw: pd.DataFrame, columns: Mapping[str, Kind]) -> pd.DataFrame:
    out = {}
    for name, kind in columns.items():
        col = raw[name]
        if kind == "str":
            text = col.astype(str).str.strip()
            empty = text.eq("") | col.isna()
            if empty.any():
                i = int(np.flatnonzero(empty.to_numpy())[0])
                raise ParseError(
                    "empty cell where a label is needed",
                    path=str(path),
                    row=_row_number(path, i),
                    column=name,
                    value="",
                )
            out[name] = text.to_numpy(dtype=object)
            continue
        text = col.astype(str).str.strip() if col.dtype == object or kind == "int" else col
        nums = pd.to_numeric(text, errors="coerce")
        bad = nums.isna().to_numpy() | ~np.isfinite(nums.to_numpy(dtype=np.float64))
        if kind == "int":
            bad |= nums.to_numpy(dtype=np.float64) % 1 != 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParseError(
                f"expected {'an integer' if kind == 'int' else 'a finite number'}",
                path=str(path),
                row=_row_number(path, i),
                column=name,
                value=str(col.iloc[i]),
            )
        out[name] = nums.to_numpy(dtype=np.int64 if kind == "int" else np.float64)
    return pd.DataFrame(out)


def _non_negative(path: Path, frame: pd.DataFrame, column: str, label: str) -> None:
    neg = frame[column].to_numpy() < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise ParseError(
            f"{label} must be non-negative",
            path=str(path),
            row=_row_number(path, i),
            column=column,
            value=frame[column].iloc[i],
        )


def _one_year(path: Path, years: np.ndarray[Any, Any], year: int | None, column: str) -> Any:
    found = sorted({int(y) for y in years})
    if year is None:
        if len(found) != 1:
            raise ParseError(
                f"the file holds {len(found)} years ({', '.join(map(str, found[:10]))}); "
                "choose one with year=...",
                path=str(path),
                column=column,
            )
        return years == found[0], found[0]
    if year not in found:
        raise ParseError(
            f"no rows for year {year}; the file holds {', '.join(map(str, found[:10]))}",
            path=str(path),
            column=column,
        )
    return years == year, year


def _require(path: Path, have: list[str], need: list[str], what: str) -> None:
    missing = [c for c in need if c not in have]
    if missing:
        raise ParseError(
            f"not a {what} file: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(have[:20])}",
            path=str(path),
            column=missing[0],
        )


def _country_map(codes: Mapping[int, str] | Path | None) -> dict[int, str]:
    if codes is None:
        table = m49_codes()
        return dict(zip(table["m49"].astype(int), table["iso3"].astype(str), strict=True))
    if isinstance(codes, Mapping):
        return {int(k): str(v) for k, v in codes.items()}
    path = Path(codes)
    have = _columns(path)
    iso = next((c for c in ("iso_3digit_alpha", "country_iso3") if c in have), None)
    if "country_code" not in have or iso is None:
        raise ParseError(
            "a BACI country-code file needs 'country_code' and 'iso_3digit_alpha' (or "
            f"'country_iso3'); found {', '.join(have)}",
            path=str(path),
        )
    frame = _read(path, {"country_code": "int", iso: "str"})
    return dict(zip(frame["country_code"].tolist(), frame[iso].tolist(), strict=True))


def _labels_from_codes(
    path: Path, part: pd.DataFrame, column: str, mapping: Mapping[int, str], hint: str
) -> np.ndarray[Any, Any]:
    codes = part[column].astype(np.int64).to_numpy()
    inverse, uniq = pd.factorize(codes)
    labels = []
    for u in np.asarray(uniq).tolist():
        if int(u) not in mapping:
            i = int(np.flatnonzero(codes == u)[0])
            raise ParseError(
                f"unknown country code; {hint}",
                path=str(path),
                row=_row_number(path, int(part.index[i])),
                column=column,
                value=int(u),
            )
        labels.append(mapping[int(u)])
    return np.asarray(labels, dtype=object)[inverse]


def _hs6(path: Path, part: pd.DataFrame, column: str) -> np.ndarray[Any, Any]:
    """HS6 codes as 6-character strings (leading zeros restored), checked once per code."""
    inverse, uniq = pd.factorize(part[column].astype(str))
    text = pd.Series(np.asarray(uniq, dtype=object)).astype(str)
    ok = text.str.fullmatch(r"\d{1,6}").to_numpy()
    if not ok.all():
        bad = str(text[~ok].iloc[0])
        i = int(np.flatnonzero(inverse == int(np.flatnonzero(~ok)[0]))[0])
        raise ParseError(
            "expected an HS 6-digit product code (digits only)",
            path=str(path),
            row=_row_number(path, int(part.index[i])),
            column=column,
            value=bad,
        )
    return text.str.zfill(6).to_numpy(dtype=object)[inverse]


def _table(
    path: Path, frame: pd.DataFrame, year: int | None, meta: TradeMetadata, key_columns: list[str]
) -> TradeTable:
    cols = [c for c in ("exporter", "importer", "product") if c in frame]
    codes = [pd.factorize(frame[c])[0] for c in cols]
    sizes = [int(c.max()) + 1 if c.size else 1 for c in codes]
    if len(codes) == 2:
        codes.insert(1, np.zeros_like(codes[0]))
        sizes.insert(1, 1)
    dup = duplicated_keys(codes[0], codes[1], codes[2], sizes[1], sizes[2])
    if dup.size:
        i = int(dup[0])
        raise ParseError(
            "this flow appears twice (each exporter, importer, product once)",
            path=str(path),
            row=_row_number(path, int(frame.index[i])),
            column=", ".join(key_columns),
            value=" / ".join(str(frame[c].iloc[i]) for c in cols),
        )
    return TradeTable.from_frame(frame.reset_index(drop=True), year=year, meta=meta)


# ---------------------------------------------------------------------- BACI
_BACI_NAME = re.compile(r"BACI_(HS\d\d)_Y(\d{4})_(V\d+)", re.IGNORECASE)


def read_baci(
    path: str | Path,
    *,
    year: int | None = None,
    country_codes: Mapping[int, str] | str | Path | None = None,
    meta: TradeMetadata | None = None,
) -> TradeTable:
    """One year of a CEPII BACI file (``t, i, j, k, v[, q]``; see the module docstring).

    ``country_codes`` maps BACI's numeric codes to labels: BACI's own country file
    (``country_codes_V*.csv``), a mapping, or ``None`` for Karavan's built-in M49 -> ISO3
    table (which includes BACI's codes for grouped territories).
    """
    p = Path(path)
    have = _columns(p)
    _require(p, have, ["t", "i", "k", "v"], "CEPII BACI")
    spec: dict[str, Kind] = {"t": "int", "i": "int", "k": "str", "v": "float"}
    if "j" in have:
        spec["j"] = "int"
    raw = _read(p, spec)
    _non_negative(p, raw, "v", "trade value v")
    keep, y = _one_year(p, raw["t"].to_numpy(), year, "t")
    raw = raw[keep]
    codes = _country_map(Path(country_codes) if isinstance(country_codes, str) else country_codes)
    hint = "pass BACI's country file as country_codes"
    frame = pd.DataFrame(
        {
            "exporter": _labels_from_codes(p, raw, "i", codes, hint),
            "product": _hs6(p, raw, "k"),
            "value": raw["v"].to_numpy(),
        },
        index=raw.index,
    )
    if "j" in raw:
        frame.insert(1, "importer", _labels_from_codes(p, raw, "j", codes, hint))
    m = _BACI_NAME.search(p.name)
    base = TradeMetadata(
        source="CEPII BACI",
        edition=f"{m.group(3).upper()}, {m.group(1).upper()}" if m else "",
        classification="HS 6-digit",
        currency="USD",
        unit="thousand",
        licence="Etalab Open Licence 2.0",
        citation="Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at "
        "the Product-Level. CEPII Working Paper 2010-23.",
    )
    return _table(p, frame, y, meta or base, ["i", "j", "k"] if "j" in raw else ["i", "k"])


# ---------------------------------------------------------------------- UN Comtrade
def read_comtrade(
    path: str | Path,
    *,
    year: int | None = None,
    flow: Literal["X", "M"] = "X",
    digits: int | None = None,
    meta: TradeMetadata | None = None,
) -> TradeTable:
    """One year of a UN Comtrade bulk / API CSV (see the module docstring).

    ``flow`` ``"X"`` uses reported exports (reporter = exporter); ``"M"`` reported imports
    (partner = exporter, reporter = importer). ``digits`` keeps commodity codes of that length
    when the file mixes levels (which would double count otherwise; mixing is an error).
    When the file has partner rows, exports are their sums and World rows are not used.
    """
    p = Path(path)
    have = _columns(p)
    year_col = "refYear" if "refYear" in have else "period"
    rep_col = "reporterISO" if "reporterISO" in have else "reporterCode"
    par_col = "partnerISO" if "partnerISO" in have else "partnerCode"
    _require(
        p, have, [year_col, rep_col, par_col, "flowCode", "cmdCode", "primaryValue"], "UN Comtrade"
    )
    spec: dict[str, Kind] = {
        year_col: "int",
        rep_col: "str",
        par_col: "str",
        "flowCode": "str",
        "cmdCode": "str",
        "primaryValue": "float",
    }
    for extra in ("freqCode", "partner2Code", "customsCode", "motCode"):
        if extra in have:
            spec[extra] = "str"
    raw = _read(p, spec)
    _non_negative(p, raw, "primaryValue", "trade value primaryValue")
    if "freqCode" in raw and (raw["freqCode"] != "A").any():
        i = int(np.flatnonzero((raw["freqCode"] != "A").to_numpy())[0])
        raise ParseError(
            "only annual data (freqCode A) can be read",
            path=str(p),
            row=_row_number(p, i),
            column="freqCode",
            value=raw["freqCode"].iloc[i],
        )
    keep = raw["flowCode"].to_numpy() == flow
    for col, total in (
        ("partner2Code", {"0", "W00"}),
        ("customsCode", {"C00"}),
        ("motCode", {"0"}),
    ):
        if col in raw:
            keep &= raw[col].isin(total).to_numpy()
    keep &= raw["cmdCode"].str.upper().ne("TOTAL").to_numpy()
    raw = raw[keep]
    if raw.empty:
        raise ParseError(f"no rows of flow {flow!r} with commodity codes", path=str(p))
    sel, y = _one_year(p, raw[year_col].to_numpy(), year, year_col)
    raw = raw[sel]
    lengths = raw["cmdCode"].str.len()
    if digits is not None:
        raw = raw[lengths == digits]
    elif lengths.nunique() > 1:
        found = sorted(set(lengths.tolist()))
        raise ParseError(
            f"commodity codes of several lengths {found} would double count; choose one "
            "with digits=...",
            path=str(p),
            column="cmdCode",
        )
    world = raw[par_col].isin({"0", "W00"})
    partner_rows = raw[~world]
    if rep_col == "reporterCode":
        codes = _country_map(None)
        hint = "Karavan's M49 table does not know it"
        for col in (rep_col, par_col):
            nums = pd.to_numeric(raw[col], errors="coerce")
            if nums.isna().any():
                i = int(np.flatnonzero(nums.isna().to_numpy())[0])
                raise ParseError(
                    "expected a numeric country code",
                    path=str(p),
                    row=_row_number(p, int(raw.index[i])),
                    column=col,
                    value=raw[col].iloc[i],
                )

        def label(part: pd.DataFrame, col: str) -> np.ndarray[Any, Any]:
            return _labels_from_codes(p, part, col, codes, hint)

    else:

        def label(part: pd.DataFrame, col: str) -> np.ndarray[Any, Any]:
            return part[col].to_numpy(dtype=object)

    notes = []
    if not partner_rows.empty:
        reporter, partner = label(partner_rows, rep_col), label(partner_rows, par_col)
        exporter, importer = (reporter, partner) if flow == "X" else (partner, reporter)
        frame = pd.DataFrame(
            {
                "exporter": exporter,
                "importer": importer,
                "product": partner_rows["cmdCode"].to_numpy(),
                "value": partner_rows["primaryValue"].to_numpy(),
            },
            index=partner_rows.index,
        )
        if world.any():
            notes.append(f"{int(world.sum())} World row(s) not used: exports are partner sums")
    else:
        if flow == "M":
            raise ParseError(
                "imports from the World do not say who exported them; a table from flow 'M' "
                "needs partner rows",
                path=str(p),
                column=par_col,
            )
        frame = pd.DataFrame(
            {
                "exporter": label(raw, rep_col),
                "product": raw["cmdCode"].to_numpy(),
                "value": raw["primaryValue"].to_numpy(),
            },
            index=raw.index,
        )
    base = TradeMetadata(
        source="UN Comtrade",
        classification=f"{int(frame['product'].str.len().iloc[0])}-digit commodity codes",
        currency="USD",
        unit="",
        licence="UN Comtrade terms of use",
        notes="; ".join([f"flow {flow}", *notes]),
    )
    return _table(p, frame, y, meta or base, [rep_col, par_col, "cmdCode"])


# ---------------------------------------------------------------------- generic long
def read_trade_long(
    path: str | Path,
    *,
    year: int | None = None,
    meta: TradeMetadata | None = None,
) -> TradeTable:
    """Karavan's generic long format (CSV or Parquet): ``year, exporter, [importer,] product,
    value``; give the unit and classification in ``meta``."""
    p = Path(path)
    have = _columns(p)
    _require(p, have, ["year", "exporter", "product", "value"], "long-format trade")
    spec: dict[str, Kind] = {"year": "int", "exporter": "str", "product": "str", "value": "float"}
    if "importer" in have:
        spec["importer"] = "str"
    raw = _read(p, spec)
    _non_negative(p, raw, "value", "value")
    keep, y = _one_year(p, raw["year"].to_numpy(), year, "year")
    raw = raw[keep]
    cols = (
        ["exporter", "importer", "product", "value"]
        if "importer" in raw
        else [
            "exporter",
            "product",
            "value",
        ]
    )
    return _table(
        p, raw[cols], y, meta or TradeMetadata(source=p.name), [c for c in cols if c != "value"]
    )


# ---------------------------------------------------------------------- dispatch
def detect_trade_format(path: str | Path) -> TradeFormat:
    """``baci``, ``comtrade`` or ``long``, from the header."""
    p = Path(path)
    have = set(_columns(p))
    if {"t", "i", "k", "v"} <= have:
        return "baci"
    if {"cmdCode", "primaryValue", "flowCode"} <= have:
        return "comtrade"
    if {"year", "exporter", "product", "value"} <= have:
        return "long"
    raise FormatDetectionError(
        f"{p}: not a known trade layout (BACI t,i,j,k,v; UN Comtrade refYear, reporterCode, "
        f"partnerCode, flowCode, cmdCode, primaryValue; long year, exporter, importer, product, "
        f"value); the header has {', '.join(sorted(have)[:20])}"
    )


def read_trade(
    path: str | Path, *, format: TradeFormat | None = None, year: int | None = None
) -> TradeTable:
    """Read a trade file in any of the three layouts (detected from the header by default)."""
    fmt = format or detect_trade_format(path)
    if fmt == "baci":
        return read_baci(path, year=year)
    if fmt == "comtrade":
        return read_comtrade(path, year=year)
    if fmt == "long":
        return read_trade_long(path, year=year)
    raise FormatDetectionError(f"unknown trade format {fmt!r}; use baci, comtrade or long")
