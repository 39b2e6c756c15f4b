"""A resolved config made active, so captured callables read from it — with or without a run.

:class:`ConfigContext` is what a captured callable asks for its arguments, injected
values and command references. ``ex.configured(...)`` activates one in a notebook or
a test; a run (``ba3l.run.Run``) is one too, with itself as ``_run``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ba3l.config import (
    MISSING,
    ConfigError,
    Path,
    ResolvedConfig,
    copy_tree,
    did_you_mean,
    format_path,
    get,
    leaves,
    split_path,
    subtree,
)

from ._context import calls_running
from ._mounts import choose_mount, list_mounts, mount_paths
from ._references import find_command

if TYPE_CHECKING:
    import random

    from ._capture import Captured
    from ._experiment import Experiment
    from ._ingredient import Ingredient


class ConfigContext:
    """A resolved config that captured callables of ``experiment`` read from.

    Attributes:
        experiment: the experiment whose ingredients' callables are served.
        config: the resolved config, with provenance.
    """

    def __init__(self, experiment: Experiment, config: ResolvedConfig):
        self.experiment = experiment
        self.config = config
        self._mounts = list_mounts(experiment, config.values)
        self._paths = mount_paths(self._mounts)
        self._seeders: dict[tuple[str, Path], random.Random] = {}

    @property
    def values(self) -> dict:
        return self.config.values

    @property
    def seed(self) -> int:
        return int(self.config.values["seed"])

    def mount_path(self, ingredient: Ingredient) -> Path:
        """Where ``ingredient``'s config is: its mount, or for one mounted at several paths
        the one inside the innermost captured call running now."""
        return choose_mount(ingredient, self._paths.get(id(ingredient), []), calls_running())

    def special(self, name: str, captured: Captured, mount: Path) -> Any:
        """``_config``, ``_log``, ``_seed`` and ``_rnd``; ``_run`` is ``None`` outside a run."""
        if name == "_run":
            return None
        if name == "_config":
            return copy_tree(subtree(self.values, mount))
        if name == "_log":
            return self.experiment.logger
        import random

        seed = self._seeder(captured, mount).randrange(2**31)
        return seed if name == "_seed" else random.Random(seed)

    def call_reference(self, reference: str, path: Path) -> Any:
        """Run the command a reference names (with its own config) and return its result."""
        _, command = find_command(self._mounts, reference, path)
        return command.captured()

    def get_command_function(self, name: str) -> Captured:
        """The command called ``name`` (dotted: ``"datasets.train.iter"``)."""
        return self.experiment.find_command(name, self.config).captured

    def get_config_path_value(self, path: str) -> Any:
        """A copy of the config value at the dotted ``path``.

        Raises:
            ConfigError: there is no such entry (with the nearest keys).
        """
        value = get(self.values, split_path(path))
        if value is MISSING:
            keys = (format_path(p) for p, _ in leaves(self.values))
            raise ConfigError(f"no config entry '{path}'{did_you_mean(path, keys)}")
        return copy_tree(value)

    def _seeder(self, captured: Captured, mount: Path) -> random.Random:
        """Each callable at each mount gets its own seed sequence, fixed by the config's seed,
        its name and where its ingredient is mounted."""
        import hashlib
        import random

        key = (captured.qualified_name, mount)
        if key not in self._seeders:
            text = f"{self.seed}:{captured.qualified_name}" + (f"@{format_path(mount)}" if mount else "")
            digest = hashlib.sha256(text.encode()).digest()
            self._seeders[key] = random.Random(int.from_bytes(digest[:8], "big"))
        return self._seeders[key]
