"""The procedure catalog and its search, as the kiosk's look-up screens use them: fields, the
procedures of a field, search as the citizen types, one procedure, and the service a
procedure's ticket is for. The search index is built on first use (or ahead, by the shell,
once the home screen is up) and rebuilt when the catalog is reloaded.
"""

from __future__ import annotations

from kiosk.catalog import Catalog, Procedure, active_catalog_path, load_catalog
from kiosk.search import Hit, SearchIndex
from sync.config import Config

__all__ = ["RESULTS_SHOWN", "Lookup"]

RESULTS_SHOWN = 12


class Lookup:
    """The catalog in use (``catalog`` defaults to the office's active one) and its index."""

    def __init__(self, config: Config, catalog: Catalog | None = None):
        self.config = config
        self.catalog = catalog or load_catalog(active_catalog_path(config), config)
        self._index: SearchIndex | None = None

    @property
    def index(self) -> SearchIndex:
        """The search index of the catalog, built on first use."""
        if self._index is None:
            self._index = SearchIndex(self.catalog.procedures)
        return self._index

    def fields(self) -> list[tuple[str, int]]:
        return self.catalog.fields()

    def in_field(self, name: str) -> list[Procedure]:
        return self.catalog.in_field(name)

    def search(self, query: str) -> list[Hit]:
        """The best matches while the citizen types (nothing for an empty query)."""
        if not query.strip():
            return []
        return self.index.search(query, limit=RESULTS_SHOWN, typing=True)

    def get(self, code: str) -> Procedure | None:
        return self.catalog.get(code)

    def service_for(self, code: str) -> str | None:
        """The service a ticket for procedure ``code`` is for, when the catalog says."""
        proc = self.catalog.get(code)
        return self.catalog.service_for(proc) if proc else None

    def reload(self) -> Catalog:
        """Read the active catalog again and rebuild the index now; raises ``CatalogError``
        (the catalog in use then stays)."""
        catalog = load_catalog(active_catalog_path(self.config), self.config)
        self.catalog, self._index = catalog, None
        self.index  # noqa: B018 — rebuilt while the admin waits, not when a citizen types
        return catalog
