"""The Experiment: the root ingredient, with a main function and entry points.

``Experiment`` adds to an ingredient what only the root has: a name, a default
command, observers, and the ways to start a run (``run`` from Python,
``run_commandline`` and ``automain`` from a script). Starting a run is the one
place where this layer hands over to the run layer (``ba3l.run``), imported when a
run starts so that defining an experiment stays light.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ba3l.config import (
    ConfigError,
    ResolvedConfig,
    UsageError,
    did_you_mean,
    split_path,
    subtree,
)

from ._assembly import ConfigRequest, Update, resolve
from ._builtins import BUILTINS
from ._capture import Captured
from ._commandline import Options
from ._config_context import ConfigContext
from ._context import activated, active_context
from ._groups import IngredientGroup
from ._ingredient import Command, Ingredient
from ._mounts import command_table, list_mounts
from ._resume import resume_entry, resume_key_request

if TYPE_CHECKING:
    from ba3l.run import Run


class Experiment(Ingredient):
    """The root of a config tree and the thing that is run.

    Example:
        >>> ex = Experiment("digits")
        >>> @ex.config
        ... def config():
        ...     lr = 1e-3   # learning rate
        >>> @ex.main
        ... def main(lr):
        ...     return lr
        >>> ex.run(config_updates={"lr": 0.1}).result   # doctest: +SKIP
        0.1
    """

    def __init__(
        self,
        name: str | None = None,
        ingredients: Sequence[Ingredient] = (),
        *,
        base_dir: str | None = None,
        save_git_info: bool = True,
        interactive: bool = False,
    ):
        """Args:
            name: the experiment's name (default: the main file's stem).
            ingredients, base_dir, save_git_info, interactive: as for :class:`Ingredient`.
        """
        super().__init__("", ingredients, base_dir=base_dir, save_git_info=save_git_info, interactive=interactive)
        self.mainfile = _main_file()
        self.name = name or (os.path.splitext(os.path.basename(self.mainfile))[0] if self.mainfile else "experiment")
        self.observers: list[Any] = []
        self.default_command: str | None = None
        self._logger: Any = None

    @property
    def datasets(self) -> IngredientGroup:
        """Ba3l's dataset ingredients: ``ex.datasets.train`` is made when first used."""
        return self._group("datasets")

    @property
    def models(self) -> IngredientGroup:
        """Ba3l's model ingredients: ``ex.models.net`` is made when first used."""
        return self._group("models")

    @property
    def trainer(self) -> Ingredient:
        """Lightning's Trainer as config: every argument under ``trainer.*``. Write ``ex.trainer``
        once at the top of a script that trains, so the config has it; ``get_trainer`` builds it.
        It also declares ``resume`` (a storage dir, ``auto``, or ``None``)."""
        def make() -> Ingredient:
            from ba3l.train import trainer_ingredient  # the seam to the training layer, taken by scripts that train

            self.config_sources.append(resume_entry())
            return trainer_ingredient()

        return self.child("trainer", make)

    def get_trainer(self, **overrides: Any) -> Any:
        """A ``lightning.pytorch.Trainer`` built from the run's ``trainer.*`` config; ``overrides`` win.

        Unless the config sets them, the trainer writes into the run's storage dir, logs to
        TensorBoard there and to the run, and redraws its progress bar by time (see ``ba3l.train``).
        """
        from ba3l.train import build_trainer

        return build_trainer(self, overrides)

    def _group(self, name: str) -> IngredientGroup:
        return self.child(name, lambda: IngredientGroup(name))  # type: ignore[return-value]

    def get_dataloaders(self, markers: Mapping[str, Any] | None = None) -> Any:
        """Build the data loaders of ``ex.datasets`` whose config has all ``markers``
        (``{"train": True}``): the loader when one matches, else a dict by dataset name.
        Call it inside a run (or ``invoke``): the loaders are built from the run's config.

        Raises:
            ConfigError: no dataset's config has the markers.
        """
        context = active_context()
        if context is None:
            raise ConfigError("get_dataloaders() builds loaders from a run's config: call it inside a run")
        wanted = dict(markers or {})
        found = {
            mount.path[1]: mount.ingredient.commands["iter"].captured.at(mount.path)()
            for mount in list_mounts(self, context.values)
            if len(mount.path) == 2 and mount.path[0] == "datasets" and "iter" in mount.ingredient.commands
            and _has_markers(subtree(context.values, mount.path), wanted)
        }
        if not found:
            raise ConfigError(f"no dataset under 'datasets' has {wanted} in its config")
        return next(iter(found.values())) if len(found) == 1 else found

    def get_train_dataloaders(self) -> Any:
        """The loaders marked ``train=True``."""
        return self.get_dataloaders({"train": True})

    def get_val_dataloaders(self) -> Any:
        """The loaders marked ``validate=True``."""
        return self.get_dataloaders({"validate": True})

    @property
    def logger(self) -> Any:
        """The experiment's ``logging.Logger`` (``LEVEL - name - message`` on stderr), made
        when first used; assign another logger to log elsewhere, as in sacred."""
        if self._logger is None:
            from ._logging import experiment_logger  # logging costs start-up time

            self._logger = experiment_logger(self.name)
        return self._logger

    @logger.setter
    def logger(self, logger: Any) -> None:
        self._logger = logger

    # entry points ---------------------------------------------------------------

    def main(self, function: Callable) -> Captured:
        """Decorator: the command that runs when no command is named."""
        captured = self.command(function)
        self.default_command = captured.name  # main is registered under its own name
        if function.__module__ == "__main__":
            self.mainfile = inspect.getsourcefile(function) or self.mainfile
        return captured

    def automain(self, function: Callable) -> Captured:
        """Decorator: like ``main``, and when the script is run, run its command line."""
        captured = self.main(function)
        if function.__module__ == "__main__":
            self.run_commandline()
            sys.exit(0)
        return captured

    def run_commandline(self, argv: Sequence[str] | None = None) -> Run | None:
        """Run as the command line asks (``sys.argv[1:]`` by default).

        Bad input prints one line and exits with status 2; a failed run exits with 1.
        Returns the run, or ``None`` for ``--help`` and built-in commands.
        """
        from ._frontend import run_command_line

        return run_command_line(self, list(sys.argv[1:] if argv is None else argv))

    def run(
        self,
        command_name: str | None = None,
        config_updates: Mapping[str, Any] | None = None,
        named_configs: Sequence[str] = (),
        options: Options | None = None,
    ) -> Run:
        """Run a command from Python (tests, notebooks) and return the finished run.

        ``config_updates`` keys may be dotted (``{"data.batch_size": 8}``) or nested; a
        leading ``+`` adds a key on purpose (``{"+tag": "baseline"}``), as on the command
        line. Exceptions of the command propagate after the run is recorded as failed.
        """
        options = options or Options()
        name = command_name or self.default_command
        request, config = self.resolve_resuming(_request(config_updates, named_configs, name or "", options.force))
        return self.start(self.find_command(request.command or None, config), config, options, request)

    @contextmanager
    def configured(
        self, config_updates: Mapping[str, Any] | None = None, named_configs: Sequence[str] = ()
    ) -> Iterator[ConfigContext]:
        """Within the ``with`` block, captured callables read this config: no run, nothing recorded.

        For a notebook or a test. ``_run`` is ``None``; ``_seed``, ``_rnd``, ``_log``,
        ``_config`` and command references work as in a run.

        Example:
            >>> with ex.configured({"data.batch_size": 8}) as context:   # doctest: +SKIP
            ...     loader = make_loader()
            ...     context.config.values["data"]
        """
        config = self.resolve_config(_request(config_updates, named_configs))
        with activated(ConfigContext(self, config)) as context:
            yield context

    # pieces the front end and tools use ------------------------------------------

    def resolve_config(self, request: ConfigRequest = ConfigRequest()) -> ResolvedConfig:
        """The final config for ``request``, without running anything.

        Use it to inspect a config in a notebook or a test:
        ``ex.resolve_config(ConfigRequest(named_configs=("big",))).values``.
        """
        return resolve(self, request)

    def resolve_resuming(self, request: ConfigRequest) -> tuple[ConfigRequest, ResolvedConfig]:
        """Like :meth:`resolve_config`, and when the config's ``resume`` names a storage dir (or
        is ``auto`` and one is found), the request and config that go on with it: its stored
        config under the request's updates (see ``python ex.py resume``)."""
        config = self.resolve_config(request)
        continued = resume_key_request(self, config.values, request)
        if continued is None:
            return request, config
        return continued, self.resolve_config(continued)

    def find_command(self, name: str | None, config: ResolvedConfig | None = None) -> Command:
        """The command called ``name`` (dotted for ingredients' commands), bound to its mount.

        With a resolved ``config``, also the commands of the dynamic ingredients it mounts
        (``models.net.summary``).
        """
        table = command_table(list_mounts(self, config.values if config else None))
        known = sorted(set(table) | set(BUILTINS))
        if name is None:
            raise UsageError("no command given and the experiment has no main function; commands: " + ", ".join(known))
        if name not in table:
            raise UsageError(f"unknown command '{name}'{did_you_mean(name, known)}; commands: " + ", ".join(known))
        return table[name][1]

    def start(self, command: Command, config: ResolvedConfig, options: Options, request: ConfigRequest) -> Run:
        """Hand a resolved config and a command (as :meth:`find_command` gives it) to the run
        layer and run it.

        A command whose arguments the config cannot fill is refused here, before any
        observer records a run.
        """
        captured = command.captured
        captured.arguments_from(config.values, captured.mount or ())
        from ba3l.run import (
            start_run,  # the seam to the run layer, taken only when a run starts
        )

        return start_run(self, command, config, options, request)


def _request(
    config_updates: Mapping[str, Any] | None, named_configs: Sequence[str], command: str = "", force: bool = False
) -> ConfigRequest:
    """A request from Python: dotted or nested keys; a leading ``+`` adds a key on purpose."""
    updates = tuple(
        Update(split_path(key.removeprefix("+")), value, "config_updates", key.startswith("+"))
        for key, value in (config_updates or {}).items()
    )
    return ConfigRequest(tuple(named_configs), updates, command, force)


def _has_markers(config: Mapping[str, Any], markers: Mapping[str, Any]) -> bool:
    return all(config.get(key) == value for key, value in markers.items())


def _main_file() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.abspath(path) if path else None
