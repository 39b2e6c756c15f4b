"""Layer 2: experiments and ingredients, config assembly, and the command line.

Imports only ``ba3l.config``. Starting a run is handed to ``ba3l.run`` (imported
when a run starts).
"""

from ._assembly import ConfigRequest as ConfigRequest
from ._assembly import Update as Update
from ._assembly import resolve as resolve
from ._capture import Captured as Captured
from ._capture import MissingConfigError as MissingConfigError
from ._commandline import OPTIONS as OPTIONS
from ._commandline import CommandLine as CommandLine
from ._commandline import Options as Options
from ._commandline import parse_command_line as parse_command_line
from ._config_context import ConfigContext as ConfigContext
from ._context import CallContext as CallContext
from ._context import activated as activated
from ._context import active_context as active_context
from ._dependencies import experiment_dependencies as experiment_dependencies
from ._dependencies import experiment_sources as experiment_sources
from ._experiment import Experiment as Experiment
from ._groups import IngredientGroup as IngredientGroup
from ._ingredient import Command as Command
from ._ingredient import Ingredient as Ingredient
from ._invoke import Invocation as Invocation
from ._invoke import invoke as invoke
from ._mounts import Mount as Mount
from ._mounts import list_mounts as list_mounts
from ._references import find_command as find_command
