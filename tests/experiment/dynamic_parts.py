"""Ingredients that the dynamic-ingredient tests mount by import string."""

from ba3l import CMD, DynamicIngredient, Ingredient

small_net = Ingredient("net")


@small_net.config
def small_config():
    """A small network."""
    depth = 2  # layers
    width = 8 * depth  # derived: follows depth
    activation = "relu"


@small_net.named_config
def deep():
    """More layers."""
    depth = 6


@small_net.command
def build(depth, width, activation):
    """The network, as a dict."""
    return {"kind": "small", "depth": depth, "width": width, "activation": activation}


@small_net.command
def summary(_config):
    """One line about the network."""
    model = build()  # the mount this command runs at decides which config build reads
    return f"small {model['depth']}x{model['width']} ({sorted(_config)})"


wide_net = Ingredient("net")


@wide_net.config
def wide_config():
    width = 512  # units
    dropout = 0.1


@wide_net.command
def build_wide(width, dropout):
    return {"kind": "wide", "width": width, "dropout": dropout}


@wide_net.command
def summary_wide():
    return f"wide {build_wide()['width']}"


pair = Ingredient("pair")


@pair.config
def pair_config():
    encoder = DynamicIngredient("dynamic_parts.small_net", depth=3)
    decoder = DynamicIngredient("dynamic_parts.small_net", depth=1)
    model = {"encoder": CMD(".encoder.build"), "decoder": CMD(".decoder.build")}


@pair.command(prefix="model")
def build_pair(encoder, decoder):
    return (encoder["depth"], decoder["depth"])


looped = Ingredient("looped")


@looped.config
def looped_config():
    inner = DynamicIngredient("dynamic_parts.looped")


not_an_ingredient = 3
