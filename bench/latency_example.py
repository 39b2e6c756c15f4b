"""A realistic experiment script for measuring command-line latency (see README.md).

About 50 config keys: the experiment's own config plus a ``data`` and a ``model``
ingredient, each with a config scope, comments as docs, nested dicts and a named config.

    python bench/latency_example.py print_config
    python bench/latency_example.py print_config with big data.batch_size=32
"""

from ba3l import Experiment, Ingredient

data = Ingredient("data")


@data.config
def data_config():
    """The digits data, cut into batches."""
    root = "~/datasets/digits"  # where the data lives
    batch_size = 64  # examples per step
    eval_batch_size = 2 * batch_size  # derived: follows batch_size
    shuffle = True  # reshuffle every epoch
    num_workers = 4  # loader processes
    pin_memory = False
    validation_fraction = 0.1  # held out from the training set
    # augmentation applied to the training set only
    augment = {
        "enabled": True,
        "rotation": 10.0,  # degrees
        "shift": 0.1,
        "noise": {"kind": "gaussian", "std": 0.05},
    }
    normalize = {"mean": [0.5], "std": [0.25]}
    steps_per_epoch = 1437 // batch_size  # derived: follows batch_size


@data.named_config
def small():
    """A quick configuration for debugging."""
    batch_size = 8
    num_workers = 0


model = Ingredient("model")


@model.config
def model_config():
    """A multi-layer perceptron."""
    kind = "mlp"  # which architecture to build
    in_features = 64  # 8x8 pixels
    hidden = 256  # hidden units per layer
    layers = 3
    out_features = 10  # digit classes
    activation = "relu"
    dropout = 0.1
    norm = {"kind": "layer", "eps": 1e-5, "affine": True}
    init = {"weights": "kaiming_uniform", "bias": 0.0, "gain": 1.0}
    width = 2 * hidden  # derived: follows hidden


@model.named_config
def wide():
    """A wider network."""
    hidden = 1024


ex = Experiment("latency", ingredients=[data, model])


@ex.config
def config():
    """Train an MLP on the digits data."""
    seed = 42
    epochs = 20  # passes over the training set
    max_steps = -1  # -1: no limit
    lr = 1e-3  # learning rate
    # the optimizer and its arguments
    optimizer = {
        "name": "adamw",
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.01,
    }
    # learning-rate schedule
    scheduler = {
        "name": "cosine",
        "warmup_steps": 100,
        "min_lr": lr / 100,  # derived: follows lr
    }
    gradient_clip = 1.0
    precision = "32-true"
    log_every = 50  # steps between log lines
    checkpoint = {"every_epochs": 1, "keep": 3, "monitor": "val/acc", "mode": "max"}
    early_stopping = {"patience": 5, "min_delta": 0.0}
    tags = ["mlp", "digits"]
    notes = ""
    model = {"dropout": 0.2}  # the experiment sets a value of its ingredient


@ex.named_config
def big():
    """A longer run of a wider network."""
    epochs = 100
    lr = 3e-4
    model = {"hidden": 1024, "layers": 4}


@ex.automain
def main(_run, lr, epochs):
    """Pretend to train."""
    return {"lr": lr, "epochs": epochs}
