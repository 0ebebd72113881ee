"""CDR import: row-by-row rejects with line and reason, idempotence on the record id."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.core.errors import InvalidInput
from clausier.db.session import transaction
from clausier.rating.cdr import rules as cdr
from clausier.rating.cdr import service as cdr_service
from clausier.rating.month import service as month_service
from tests.rating.conftest import csv_row, make_rating_operator, subscriber, write_csv


def test_csv_with_a_bad_date_on_line_7_and_a_duplicate_id(session, clock, actor, subscribe, store, tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line")
    rows = [csv_row(f"A{i}") for i in range(1, 9)]
    rows[5]["start"] = "2026-10-32T09:00:00+02:00"           # line 7 (line 1 is the header)
    rows[7]["record_id"] = "A3"                              # line 9 repeats line 4
    path = write_csv(tmp_path / "cdr.csv", rows)
    batch = cdr_service.import_cdr_file(session, clock, actor, path, store)
    assert (batch.rows_read, batch.accepted, batch.rejected, batch.duplicates) == (8, 6, 2, 0)
    _, rejects = cdr_service.get_batch(session, batch.id)
    assert [(r.line, r.reason) for r in rejects] == [
        (7, "start: not an ISO 8601 date-time with offset (YYYY-MM-DDThh:mm:ss+hh:mm)"),
        (9, "record_id: 'A3' already on line 4"),
    ]
    assert pl.read_csv(batch.reject_file)["line"].to_list() == [7, 9]
    assert batch.months == ["2026-10"]
    assert store.scan_month("2026-10").collect()["record_id"].sort().to_list() == ["A1", "A2", "A3", "A4", "A5", "A7"]


def test_importing_the_same_records_twice_changes_nothing(session, clock, actor, subscribe, store, tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line")
    path = write_csv(tmp_path / "cdr.csv", [csv_row(f"B{i}") for i in range(5)])
    cdr_service.import_cdr_file(session, clock, actor, path, store)
    again = cdr_service.import_cdr_file(session, clock, actor, path, store)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 5, 0)
    assert store.scan_month("2026-10").collect().height == 5


def test_gzip_files_unknown_services_and_bad_values(session, clock, actor, subscribe, store, tmp_path):
    subscribe("mobile", "0650000001")
    rows = [csv_row("C1", "0650000001"), csv_row("C2", "0650000099"),
            csv_row("C3", "0650000001", direction="sideways"), csv_row("C4", "0650000001", called="01 AB"),
            csv_row("C5", "0650000001", type="data", called="", bytes="12000", duration="0")]
    plain = write_csv(tmp_path / "cdr.csv", rows)
    packed = tmp_path / "cdr.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    batch = cdr_service.import_cdr_file(session, clock, actor, packed, store)
    _, rejects = cdr_service.get_batch(session, batch.id)
    assert batch.accepted == 2
    assert [(r.line, r.reason) for r in rejects] == [
        (3, "service: '0650000099' no subscription carries this identifier"),
        (4, "direction: 'sideways' is not out or in"),
        (5, "called: '01 AB' is not a phone number"),
    ]


def test_a_file_without_the_required_columns_is_refused_whole(session, clock, actor, store, tmp_path, rating_operator):
    path = tmp_path / "bad.csv"
    path.write_text("record_id,service\nX,Y\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="missing column\\(s\\) start, duration"):
        cdr_service.import_cdr_file(session, clock, actor, path, store)


def test_repeated_ids_are_found_across_chunks_of_a_big_file(session, clock, actor, subscribe, store, tmp_path,
                                                            monkeypatch):
    """A file is read in chunks: an id repeated in a later chunk is still reported with the
    line it first appeared on, and a re-import of part of the file changes nothing."""
    monkeypatch.setattr(cdr_service, "CHUNK_ROWS", 3)
    subscribe("vga", "0247000001", unit="analogue_line")
    rows = [csv_row(f"D{i}") for i in range(1, 9)]
    rows[6]["record_id"] = "D2"                              # line 8 repeats line 3 (other chunk)
    rows[7]["record_id"] = "D7"                              # line 9 repeats nothing (line 8 changed)
    batch = cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", rows), store)
    _, rejects = cdr_service.get_batch(session, batch.id)
    assert [(r.line, r.reason) for r in rejects] == [(8, "record_id: 'D2' already on line 3")]
    assert (batch.accepted, batch.duplicates) == (7, 0)
    again = cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "again.csv", rows[:4]), store)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 4, 0)
    assert store.scan_month("2026-10").collect().height == 7


def test_records_stored_before_the_forwarded_to_column_still_read(session, clock, actor, subscribe, store,
                                                                  tmp_path):
    """Files of earlier versions lack the optional forwarded_to column: it reads as null, like
    an empty value (stored as null); their keywords, text then, read and rate as today's enums."""
    subscribe("vga", "0247000001", unit="analogue_line")
    batch = cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "cdr.csv", [csv_row("E1")]), store)
    [path] = store.batch_files(batch.id)
    old = path.with_name("batch-0-0.parquet")
    # ... and stored their keywords as text, not enums
    pl.read_parquet(path).drop("forwarded_to").with_columns(
        pl.lit("E0").alias("record_id"), *[pl.col(name).cast(pl.String) for name in cdr.KEYWORDS]).write_parquet(old)
    month = store.scan_month("2026-10").collect().sort("record_id")
    assert month.select("record_id", "forwarded_to").rows() == [("E0", None), ("E1", None)]
    assert month["direction"].to_list() == ["out", "out"]
    assert month_service.rate(session, clock, actor, "2026-10", store).records == 2


def test_a_file_that_breaks_midway_leaves_nothing_stored(session, clock, actor, subscribe, store, tmp_path,
                                                         monkeypatch):
    """Good chunks are written while the file is read: when a later chunk cannot be read, the
    batch's files are removed and the error names the file; nothing imported earlier is lost."""
    subscribe("vga", "0247000001", unit="analogue_line")
    kept = cdr_service.import_cdr_file(session, clock, actor, write_csv(tmp_path / "kept.csv", [csv_row("K1")]), store)
    monkeypatch.setattr(cdr_service, "CHUNK_ROWS", 1000)
    path = write_csv(tmp_path / "broken.csv", [csv_row(f"G{i}") for i in range(50_000)])
    with path.open("ab") as handle:
        handle.write(b"G-bad,0247000001,2026-10-05T09:00:00+02:00,60,\xff\xfe,0145000000,out,voice,,,FT,0\n")
    with pytest.raises(InvalidInput, match="file: broken.csv, line 50002: is not UTF-8 text"):
        cdr_service.import_cdr_file(session, clock, actor, path, store)
    assert [p.name for p in store.batch_files(kept.id)] == ["batch-1-0.parquet"]
    assert store.scan_month("2026-10").collect()["record_id"].to_list() == ["K1"]


# Issue 17 §6: the breaks found when CDR files were attacked.

def _reasons(session, batch) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in cdr_service.get_batch(session, batch.id)[1]]


def test_starts_outside_the_months_of_the_store_are_rejected(session, clock, actor, subscribe,
                                                             store, tmp_path):
    """0001-01-01 was filed under 1969-12; the store's months are 1970-01 to 2199-12, Paris."""
    subscribe("vga", "0247000001", unit="analogue_line")
    rows = [csv_row("S1", start="0001-01-01T00:00:00Z"),
            csv_row("S2", start="1969-12-31T23:59:59+01:00"),
            csv_row("S3", start="1970-01-01T00:00:00+01:00"),
            csv_row("S4", start="2199-12-31T23:59:59+01:00"),
            csv_row("S5", start="2200-01-01T00:00:00+01:00"),
            csv_row("S6", start="9999-12-31T23:59:59Z")]
    path = write_csv(tmp_path / "cdr.csv", rows)
    batch = cdr_service.import_cdr_file(session, clock, actor, path, store)
    outside = "start: before 1970-01-01 or after 2199-12-31"
    assert _reasons(session, batch) == [(2, outside), (3, outside), (6, outside), (7, outside)]
    assert (batch.accepted, batch.months) == (2, ["1970-01", "2199-12"])


def test_values_longer_than_their_limit_are_rejected_without_being_quoted(
        session, clock, actor, subscribe, store, tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line")
    rows = [csv_row("L1", called="0" * 5_000_000), csv_row("x" * 2_000_000),
            csv_row("y" * 120, called="0" * 32), csv_row("L4", direction="z" * 1000)]
    path = write_csv(tmp_path / "cdr.csv", rows)
    batch = cdr_service.import_cdr_file(session, clock, actor, path, store)
    assert _reasons(session, batch) == [
        (2, "called: longer than 32 bytes"), (3, "record_id: longer than 120 bytes"),
        (5, f"direction: '{'z' * 40}…' is not out or in")]
    assert cdr_service.get_batch(session, batch.id)[1][1].record_id == "x" * 120     # kept, cut
    assert batch.accepted == 1


def test_a_row_with_more_fields_than_the_header_is_rejected_not_cut(
        session, clock, actor, subscribe, store, tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line")
    path = write_csv(tmp_path / "cdr.csv", [csv_row("R1"), csv_row("R2"), csv_row("R3")])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",x,y,z"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = cdr_service.import_cdr_file(session, clock, actor, path, store)
    assert _reasons(session, batch) == [(3, "row: more fields than the header has columns")]
    assert store.scan_month("2026-10").collect()["record_id"].sort().to_list() == ["R1", "R3"]


def test_a_utf_8_bom_is_not_part_of_the_first_column(session, clock, actor, subscribe, store,
                                                     tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line")
    path = write_csv(tmp_path / "cdr.csv", [csv_row("B1")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    batch = cdr_service.import_cdr_file(session, clock, actor, path, store)
    assert (batch.accepted, batch.rejected) == (1, 0)


def test_a_corrupt_gzip_or_an_unclosed_quote_refuses_the_file_naming_the_line(
        session, clock, actor, subscribe, store, tmp_path):
    subscribe("vga", "0247000001", unit="analogue_line")
    plain = write_csv(tmp_path / "cdr.csv", [csv_row(f"Z{i}") for i in range(20_000)])
    packed = gzip.compress(plain.read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[:len(packed) // 2])
    with pytest.raises(InvalidInput) as caught:
        cdr_service.import_cdr_file(session, clock, actor, cut, store)
    [problem] = caught.value.problems
    assert problem.reason == "the gzip data is corrupt or cut short" and 2 < problem.line < 20_002
    assert caught.value.message.startswith(f"file: cut.csv.gz, line {problem.line}: the gzip data")
    lines = plain.read_text(encoding="utf-8").splitlines()
    lines[100] = lines[100].replace("FT", '"FT')
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unclosed = ("^file: cdr.csv, line 101: a quote opened on this line is never closed; "
                "nothing imported$")
    with pytest.raises(InvalidInput, match=unclosed):
        cdr_service.import_cdr_file(session, clock, actor, plain, store)
    assert store.months() == []


def test_synthetic_traffic_for_the_lines_of_the_database_is_accepted_whole(
        db_url, clean_engine, clock, actor, tmp_path, monkeypatch):
    """``clausier cdr synth`` on a database whose lines are not all phone numbers (a SIP trunk
    id, the demo's references) and fewer than --services: every record is accepted."""
    with transaction(clean_engine) as session:      # emptied after the test by clean_engine
        operator = make_rating_operator(session, clock, actor, tmp_path)
        make = subscriber(session, clock, actor, operator)
        make("vga", "0247000001", unit="analogue_line")
        make("sip_trunk", "TRUNK-TOURS-1", unit="channel")
        make("mobile", "DEMO000006")
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    target = tmp_path / "synth.csv.gz"
    made = runner.invoke(app, ["cdr", "synth", "-o", str(target), "--records", "3000",
                               "--month", "2026-10"])
    assert made.exit_code == 0, made.output
    assert "3000 records for 3 lines in 2026-10" in made.output
    imported = runner.invoke(app, ["cdr", "import", str(target), "--json"])
    assert imported.exit_code == 0, imported.output
    [result] = json.loads(imported.output)
    assert (result["read"], result["imported"], result["rejected"]) == (3000, 3000, 0)
