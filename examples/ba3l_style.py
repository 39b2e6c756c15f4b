"""A Ba3l-style experiment: datasets as ingredients, models as dynamic ingredients chosen by
the config, CMD references, named configs.

    python ba3l_style.py print_config with big
    python ba3l_style.py with datasets.train.batch_size=32 -F runs
    python ba3l_style.py with linear                  # another model ingredient
    python ba3l_style.py models.net.describe          # a command of the mounted model
    python ba3l_style.py datasets.describe with small
"""

from ba3l import CMD, DynamicIngredient, Experiment

ex = Experiment("ba3l_style")

# The data: a command whose result the loaders receive through CMD references.
make_data = ex.datasets.command("ba3l_parts.blobs", prefix="data", size=512)

# Every argument of the loader becomes datasets.<name>.* config; markers say which is which.
ex.datasets.train.iter("ba3l_parts.Loader", batch_size=64, shuffle=True, train=True, dataset=CMD("/datasets.blobs"))
ex.datasets.val.iter("ba3l_parts.Loader", batch_size=256, validate=True, dataset=CMD("/datasets.blobs"))



@ex.config
def config():
    epochs = 3  # passes over the training data
    lr = 1e-3  # learning rate
    # the model: an ingredient with a `build` command, mounted at models.net, with overrides
    models = {"net": DynamicIngredient("ba3l_models.mlp", features=8, hidden=128)}
    model = CMD("/models.net.build")  # main receives the built model


@ex.named_config
def small():
    """A quick configuration for debugging."""
    epochs = 1
    datasets = {"data": {"size": 64}, "train": {"batch_size": 16}}


@ex.named_config
def big():
    """A wider, deeper network."""
    models = {"net": {"hidden": 512, "layers": 4}}


@ex.named_config
def linear():
    """A linear model instead: the MLP's keys go with it."""
    models = {"net": DynamicIngredient("ba3l_models.linear", features=8)}


@ex.datasets.command
def describe():
    """Print how the data is cut into batches."""
    for name, loader in ex.get_dataloaders().items():
        print(f"{name}: {len(loader)} batches of {loader.batch_size}")


@ex.automain
def main(epochs, lr, model):
    """Build the loaders and the model from the config, and report them."""
    train, val = ex.get_train_dataloaders(), ex.get_val_dataloaders()
    print(f"{model}, lr={lr}, {epochs} epochs of {len(train)} batches; {len(val)} validation batches")
    return {"train_batches": len(train), "model": repr(model)}
