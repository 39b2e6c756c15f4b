"""A Ba3l-style experiment: datasets and models as ingredients, CMD references, named configs.

    python ba3l_style.py print_config with big
    python ba3l_style.py with datasets.train.batch_size=32 -F runs
    python ba3l_style.py datasets.describe with small
"""

from ba3l import CMD, Experiment

ex = Experiment("ba3l_style")

# The data: a command whose result the loaders receive through CMD references.
make_data = ex.datasets.command("ba3l_parts.blobs", prefix="data", size=512)

# Every argument of the loader becomes datasets.<name>.* config; markers say which is which.
ex.datasets.train.iter("ba3l_parts.Loader", batch_size=64, shuffle=True, train=True, dataset=CMD("/datasets.blobs"))
ex.datasets.val.iter("ba3l_parts.Loader", batch_size=256, validate=True, dataset=CMD("/datasets.blobs"))

# The model: its constructor's arguments are models.net.*
build_net = ex.models.net.command("ba3l_parts.MLP", hidden=128)


@ex.config
def config():
    epochs = 3  # passes over the training data
    lr = 1e-3  # learning rate
    models = {"net": {"features": 8}}  # the experiment sets its model's input size


@ex.named_config
def small():
    """A quick configuration for debugging."""
    epochs = 1
    datasets = {"data": {"size": 64}, "train": {"batch_size": 16}}


@ex.named_config
def big():
    """A wider, deeper network."""
    models = {"net": {"hidden": 512, "layers": 4}}


@ex.datasets.command
def describe():
    """Print how the data is cut into batches."""
    for name, loader in ex.get_dataloaders().items():
        print(f"{name}: {len(loader)} batches of {loader.batch_size}")


@ex.automain
def main(epochs, lr):
    """Build the loaders and the model from the config, and report them."""
    train, val = ex.get_train_dataloaders(), ex.get_val_dataloaders()
    net = build_net()
    print(f"{net}, lr={lr}, {epochs} epochs of {len(train)} batches; {len(val)} validation batches")
    return {"train_batches": len(train), "hidden": net.hidden}
