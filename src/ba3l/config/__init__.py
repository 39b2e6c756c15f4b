"""Layer 1: the config engine. Pure Python: no torch, no numpy.

Config trees and dotted paths, config scopes, config files, the override grammar of
the command line, signature capture, provenance, and the resolved config that
``print_config`` summarises. Everything users and the upper layers may import is
listed here; the modules themselves are private.
"""

from ._dynamic import INGREDIENT_KEY as INGREDIENT_KEY
from ._dynamic import DynamicIngredient as DynamicIngredient
from ._dynamic import dynamic_nodes as dynamic_nodes
from ._dynamic import ingredient_of as ingredient_of
from ._dynamic import swapped_nodes as swapped_nodes
from ._errors import ConfigError as ConfigError
from ._errors import ConfigFileError as ConfigFileError
from ._errors import ConfigTypeError as ConfigTypeError
from ._errors import UnknownKeyError as UnknownKeyError
from ._errors import UsageError as UsageError
from ._errors import did_you_mean as did_you_mean
from ._factories import Configurable as Configurable
from ._factories import factory_key as factory_key
from ._factories import fill_defaults as fill_defaults
from ._factories import instantiate as instantiate
from ._files import CONFIG_SUFFIXES as CONFIG_SUFFIXES
from ._files import load_config_file as load_config_file
from ._files import looks_like_config_file as looks_like_config_file
from ._files import save_config_file as save_config_file
from ._files import write_new_file as write_new_file
from ._files import write_text_atomic as write_text_atomic
from ._imports import factory_name as factory_name
from ._imports import import_factory as import_factory
from ._imports import import_object as import_object
from ._overrides import Assignment as Assignment
from ._overrides import is_assignment as is_assignment
from ._overrides import parse_assignment as parse_assignment
from ._overrides import parse_value as parse_value
from ._provenance import COMMAND_LINE as COMMAND_LINE
from ._provenance import Layer as Layer
from ._provenance import Source as Source
from ._references import CMD as CMD
from ._references import is_reference as is_reference
from ._references import literal as literal
from ._resolved import ResolvedConfig as ResolvedConfig
from ._secrets import MASK as MASK
from ._secrets import is_secret_key as is_secret_key
from ._secrets import mask_secrets as mask_secrets
from ._secrets import mask_url as mask_url
from ._scope import ConfigDict as ConfigDict
from ._scope import ConfigScope as ConfigScope
from ._scope import ScopeResult as ScopeResult
from ._scope import display_path as display_path
from ._signature import SPECIAL_ARGUMENTS as SPECIAL_ARGUMENTS
from ._signature import Parameter as Parameter
from ._signature import Signature as Signature
from ._signature import capture_signature as capture_signature
from ._summary import format_config as format_config
from ._tree import EMPTY as EMPTY
from ._tree import MISSING as MISSING
from ._tree import Path as Path
from ._tree import copy_tree as copy_tree
from ._tree import format_path as format_path
from ._tree import from_leaves as from_leaves
from ._tree import get as get
from ._tree import is_segment as is_segment
from ._tree import leaves as leaves
from ._tree import leaves_of as leaves_of
from ._tree import merge as merge
from ._tree import set_value as set_value
from ._tree import split_path as split_path
from ._tree import subtree as subtree
from ._types import annotation_problem as annotation_problem
from ._types import coerce_to as coerce_to
from ._values import coerce_like as coerce_like
from ._values import normalize as normalize
from ._values import replacement_problem as replacement_problem
from ._values import short_repr as short_repr
from ._values import type_name as type_name
