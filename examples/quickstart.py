"""A small experiment: config scopes, a named config, a nested ingredient, commands.

    python quickstart.py print_config with big data.batch_size=32
    python quickstart.py with hidden=64 -F runs
    python quickstart.py --help
"""

from ba3l import Experiment, Ingredient

data = Ingredient("data")


@data.config
def data_config():
    """Where the examples come from."""
    batch_size = 64  # examples per step
    shuffle = True  # reshuffle every epoch
    num_workers = 0
    steps_per_epoch = 1797 // batch_size  # derived: follows batch_size


@data.named_config
def small():
    """A quick configuration for debugging."""
    batch_size = 8


@data.command
def stats(batch_size, steps_per_epoch):
    """Print how the data is cut into batches."""
    print(f"{steps_per_epoch} steps of {batch_size} examples")


ex = Experiment("quickstart", ingredients=[data])


@ex.config
def config():
    """A multi-layer perceptron on the digits data."""
    lr = 1e-3  # learning rate
    hidden = 128  # hidden units per layer
    width = 2 * hidden  # derived: follows `hidden` when it is overridden
    layers = 2
    optimizer = {"name": "adam", "betas": (0.9, 0.999), "weight_decay": 0.0}
    data = {"num_workers": 2}  # the experiment sets a value of its ingredient


@ex.named_config
def big():
    """A wider network."""
    hidden = 512
    layers = 4


@ex.capture
def describe(hidden, width, layers, lr):
    return f"{layers} layers of {hidden} (width {width}), lr={lr}"


@ex.automain
def main(_run, _seed):
    """Build the model description and report it."""
    text = describe()
    print(text)
    return {"description": text, "seed": _seed}
