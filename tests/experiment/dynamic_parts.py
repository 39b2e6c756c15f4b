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


def batches(dataset=CMD(".examples"), batch_size: int = 2):
    """Cut the examples into batches."""
    return [dataset[i : i + batch_size] for i in range(0, len(dataset), batch_size)]


counting = Ingredient("counting")


@counting.config
def counting_config():
    size = 5  # examples


@counting.command
def examples(size):
    return list(range(size))


counting.iter(batches, batch_size=2, train=True)

tokenizer = Ingredient("tokenizer")


@tokenizer.config
def tokenizer_config():
    vocabulary = 100


@tokenizer.command
def vocabulary_size(vocabulary):
    return vocabulary


with_tokenizer = Ingredient("text_net", ingredients=[tokenizer])


@with_tokenizer.config
def text_config():
    tokenizer = {"vocabulary": 50}  # writes into its static child


@with_tokenizer.config_hook
def count_hook(config, command, logger):
    return {"hooked": True}


@with_tokenizer.command
def describe_text():
    return vocabulary_size()
