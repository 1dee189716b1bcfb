"""``kiosk catalog import FILE`` and ``kiosk catalog search "text"``: the procedure catalog
from the command line, for the provincial IT staff who update it and check what the kiosk's
search finds. The search is the very same ``SearchIndex`` the kiosk screen uses."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.catalog import CatalogError, active_catalog_path, import_catalog, load_catalog
from kiosk.search import SearchIndex
from sync.cli import CommandLine
from sync.config import Config

__all__ = ["add_catalog_commands"]


def _import(cfg: Config, args: argparse.Namespace) -> int:
    try:
        report = import_catalog(args.file, cfg)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Imported {report.kept} of {report.total} procedures into {report.target}")
    if report.problems:
        print(f"Skipped {len(report.problems)} record(s):")
        for problem in report.problems:
            print(f"  - {problem}")
    if report.unmapped_fields:
        print("Fields no service lists in config.yaml (services[].catalog_fields) — their procedures "
              "get no ticket shortcut:")
        for name in report.unmapped_fields:
            print(f"  - {name}")
    print("Restart the kiosk or use 'Nạp lại danh mục thủ tục' on its admin screen to show it.")
    return 0


def _search(cfg: Config, args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(active_catalog_path(cfg), cfg)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    hits = SearchIndex(catalog.procedures).search(args.text, limit=args.limit)
    if args.json:
        print(json.dumps([{"code": h.procedure.code, "name": h.procedure.name, "field": h.procedure.field,
                           "service_id": catalog.service_for(h.procedure), "score": round(h.score, 3)}
                          for h in hits], ensure_ascii=False, indent=1))
        return 0
    if not hits:
        print("no procedure found")
    for rank, hit in enumerate(hits, start=1):
        field = hit.procedure.field or "—"
        print(f"{rank:>2}. {hit.procedure.code:<9} {hit.procedure.name}  [{field}]")
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("expected 1 or more")
    return number


def add_catalog_commands(cli: CommandLine) -> None:
    actions = cli.group("catalog", "import or search the procedure catalog", dest="catalog_command")
    imp = cli.command("import", "import a national portal JSON export (bad records are skipped and listed; "
                                "the catalog in use is kept if it all fails)", _import, under=actions)
    imp.add_argument("file", metavar="FILE")
    search = cli.command("search", "search the catalog the kiosk shows, ranked as on screen", _search, under=actions)
    search.add_argument("text")
    search.add_argument("--json", action="store_true", help="print JSON instead of a list")
    search.add_argument("--limit", type=_positive, default=10, metavar="N", help="results to show (default 10)")
