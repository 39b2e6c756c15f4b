"""The records the config assembler fills, layer by layer, with the rules for each.

:class:`FixedValues` holds what named configs and updates set: scopes cannot change
it. :class:`ParentWrites` holds what ingredients' scopes set inside their children's
paths: fixed for the children. :class:`LowerLayers` holds what the default, config,
parent and hook layers produce, with provenance and what each fixed value replaced.
The phases in ``_assembly`` fill them in order; ``LowerLayers.result`` freezes the end.
"""

from __future__ import annotations

from typing import Any

from ba3l.config import (
    ConfigError,
    Path,
    ResolvedConfig,
    Source,
    leaves,
    leaves_of,
    merge,
    set_value,
    subtree,
)


def prefixes(path: Path) -> list[Path]:
    """The paths strictly above ``path``: ``a.b.c`` -> ``a``, ``a.b``."""
    return [path[:i] for i in range(1, len(path))]


class FixedValues:
    """Values of the named-config and update layers, by leaf, with their sources."""

    def __init__(self) -> None:
        self.tree: dict = {}
        self.sources: dict[Path, Source] = {}  # by leaf
        self.nodes: set[Path] = set()  # every dict above a leaf
        self.added: set[Path] = set()  # keys added on purpose: nothing needs to declare them
        self.warn_new: set[Path] = set()  # keys added by a file: reported when new

    def set(self, path: Path, value: Any, source: Source, add: bool = False, warn_new: bool = False) -> None:
        """Set the leaves of ``value`` at ``path``: a dict merges with what is fixed there, a
        scalar replaces it; each leaf replaces what stood at, below or above it."""
        for leaf, item in leaves_of(value, path):
            self._drop(leaf)
            set_value(self.tree, leaf, item)
            self.sources[leaf] = source
            self.nodes.update(prefixes(leaf))
            if add:
                self.added.add(leaf)
            if warn_new:
                self.warn_new.add(leaf)

    def covers(self, path: Path) -> bool:
        """Whether a fixed value stands at ``path``, inside it, or as a scalar above it."""
        return path in self.sources or path in self.nodes or any(p in self.sources for p in prefixes(path))

    def source_of(self, path: Path, value: Any) -> Source | None:
        """The source of the fixed ``value`` at ``path`` (for a dict: of its first leaf)."""
        if path in self.sources:
            return self.sources[path]
        if isinstance(value, dict):
            return next((self.sources[p] for p, _ in leaves(value, path) if p in self.sources), None)
        return None

    def _drop(self, path: Path) -> None:
        for above in prefixes(path):
            self.sources.pop(above, None)
        if path in self.nodes:  # a dict is replaced: forget its leaves
            for leaf in [p for p in self.sources if p[: len(path)] == path]:
                del self.sources[leaf]


class ParentWrites:
    """Values an ingredient's config sources write into its children's paths."""

    def __init__(self) -> None:
        self.tree: dict = {}
        self.writers: dict[Path, Path] = {}  # the mount path of the ingredient that wrote each leaf

    def record(self, path: Path, value: Any, writer: Path) -> None:
        set_value(self.tree, path, value)
        self.writers[path] = writer

    def stands_over(self, path: Path, reader: Path) -> bool:
        """Whether an ingredient above ``reader`` wrote ``path``, so that its value stands."""
        return self.writers.get(path, reader) != reader

    def fixed_for(self, mount_path: Path, fixed: FixedValues) -> dict:
        """What the ingredient at ``mount_path`` cannot change: its parents' writes under
        the named configs and updates."""
        return merge(subtree(self.tree, mount_path), subtree(fixed.tree, mount_path))


class LowerLayers:
    """What the default, config, parent and hook layers produce."""

    def __init__(self, force: bool) -> None:
        self.force = force
        self.values: dict = {}
        self.sources: dict[Path, Source] = {}
        self.declared: set[Path] = set()
        self.annotated: set[Path] = set()  # entries a parameter's annotation types (checked last)
        self.placeholders: set[Path] = set()
        self.docs: dict[Path, str] = {}
        self.scope_docs: list[tuple[Path, str]] = []
        self.shadowed: dict[Path, tuple[tuple, Any]] = {}  # path -> (rank of the layer, value)
        self.warnings: list[str] = []
        self.defaults: dict = {}  # the default layer alone: what a fixed leaf no scope assigns replaces

    def store(self, path: Path, value: Any, source: Source | None = None) -> None:
        if path:
            set_value(self.values, path, value)
        elif value is not self.values:  # a root with no config sources hands back the tree itself
            self.values.clear()
            self.values.update(value)
        if source is not None:
            self.sources[path] = source

    def shadow(self, path: Path, rank: tuple, value: Any) -> None:
        """Remember ``value`` as what a fixed value replaced at ``path``; the highest layer's wins."""
        if path not in self.shadowed or self.shadowed[path][0] < rank:
            self.shadowed[path] = (rank, value)

    def forget_shadows(self, node: Path, keep: Path = ()) -> None:
        """Forget what fixed values replaced under ``node`` (but at ``node + keep``): a swapped
        dynamic ingredient's new scopes record their own."""
        for path in [p for p in self.shadowed if p[: len(node)] == node and p != node + keep]:
            del self.shadowed[path]

    def refuse(self, error: type[ConfigError], message: str) -> None:
        """Raise ``error``, or with ``--force`` keep the message as a warning."""
        if not self.force:
            raise error(message)
        self.warnings.append(message)

    def source_at_or_under(self, path: Path) -> Source | None:
        """The source of the value at ``path``; for a dict, of its first entry that has one."""
        entries = subtree(self.values, path)
        if not entries:
            return self.sources.get(path)
        return next((self.sources[p] for p, _ in leaves(entries, path) if p in self.sources), None)

    def result(self) -> ResolvedConfig:
        present = {path for path, _ in leaves(self.values)}
        return ResolvedConfig(
            values=self.values,
            sources={p: s for p, s in self.sources.items() if p in present},
            docs=self.docs,
            shadowed={p: old for p, (_, old) in self.shadowed.items() if p in present},
            scope_docs=tuple(self.scope_docs),
            warnings=tuple(self.warnings),
        )
