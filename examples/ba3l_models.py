"""Model ingredients for ba3l_style.py: the config chooses one with ``DynamicIngredient``.

Each offers a ``build`` command, so the experiment can swap one for another
(``with linear``, or ``with models.net=ba3l_models.linear``). The classes are named
by import string, so printing the config imports nothing heavy.
"""

from ba3l import Ingredient

mlp = Ingredient("mlp")
build_mlp = mlp.command("ba3l_parts.MLP")  # every argument of MLP is this ingredient's config


@mlp.command
def build():
    """The model, built from this ingredient's config."""
    return build_mlp()


@mlp.command
def describe(hidden, layers):
    """Print the model and its size."""
    print(f"{build_mlp()}: {hidden * layers} hidden units")


linear = Ingredient("linear")
build_linear = linear.command("ba3l_parts.Linear")


@linear.command
def build():  # noqa: F811 - each ingredient's `build`; the one above is registered with mlp
    """The model, built from this ingredient's config."""
    return build_linear()
