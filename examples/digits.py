"""Digits: a small network on scikit-learn's bundled digits data, trained with Lightning.

Every knob is config: the network's, the data's and every argument of Lightning's
Trainer (``trainer.*``). Each experiment gets a storage dir (``storage/digits/<n>/``)
with its config, checkpoints, TensorBoard logs and the record of each run.

    python digits.py print_config with big
    python digits.py with small
    python digits.py with trainer.max_epochs=30 optimizer.lr=3e-3
    python digits.py resume storage/digits/1 with trainer.max_epochs=30
    python digits.py with trainer.strategy=ddp trainer.devices=2   # two processes
"""

import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

import ba3l.train
from ba3l import Experiment
from ba3l.observers import StorageDirObserver

ex = Experiment("digits")
ex.trainer  # every argument of Lightning's Trainer is config under trainer.*
ex.observers.append(StorageDirObserver())  # storage/digits/<n>/: config, checkpoints, logs, runs


@ex.config
def config():
    batch_size = 64  # examples per step
    models = {"net": {"factory": "digits.MLP", "hidden": 256, "layers": 2}}  # the network, by its arguments
    optimizer = {"factory": "torch.optim.Adam", "lr": 1e-3}  # the module's parameters are given to it
    trainer = {
        "max_epochs": 20,
        "accelerator": "cpu",
        "enable_model_summary": False,
        "log_every_n_steps": 5,
        "monitor": "val_acc",  # ckpt_best_val_acc.ckpt follows the best validation accuracy
        "monitor_mode": "max",
    }


@ex.named_config
def small():
    """A quick run: a narrow network, few epochs."""
    models = {"net": {"hidden": 64}}
    trainer = {"max_epochs": 8}


@ex.named_config
def big():
    """A wider, deeper network."""
    models = {"net": {"hidden": 512, "layers": 3}}


class MLP(torch.nn.Module):
    """A multi-layer perceptron over the 8x8 images: 64 inputs, 10 classes."""

    def __init__(self, hidden: int = 256, layers: int = 2):
        super().__init__()
        sizes = [64] + [hidden] * layers
        blocks = [torch.nn.Sequential(torch.nn.Linear(a, b), torch.nn.ReLU()) for a, b in zip(sizes, sizes[1:])]
        self.layers = torch.nn.Sequential(*blocks, torch.nn.Linear(sizes[-1], 10))

    def forward(self, x):
        return self.layers(x)


class Classifier(ba3l.train.LightningModule):
    """The MLP of models.net, trained with the optimizer of `optimizer` (both from the config)."""

    def __init__(self, config=None):
        super().__init__(config)  # self.config: the run's config (or a stored one, when loaded back)
        self.net = self.build_model("net")

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_index):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_index):
        self.log("val_acc", self.accuracy(batch), sync_dist=True)  # averaged over processes under DDP

    def test_step(self, batch, batch_index):
        self.log("test_acc", self.accuracy(batch), sync_dist=True)

    def accuracy(self, batch):
        x, y = batch
        return (self(x).argmax(dim=1) == y).float().mean()


@ex.capture
def make_loaders(batch_size, _seed):
    """Train, validation and test loaders: 70/15/15 of the 1,797 images, split by the seed.
    The training loader keeps its place in an epoch, so a resumed run sees the same batches."""
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(_seed))
    cut = [int(len(x) * 0.7), int(len(x) * 0.85)]
    parts = [order[: cut[0]], order[cut[0] : cut[1]], order[cut[1] :]]
    sets = [TensorDataset(x[part], y[part]) for part in parts]
    return (ba3l.train.ResumableLoader(sets[0], batch_size=batch_size, shuffle=True),
            DataLoader(sets[1], batch_size=256), DataLoader(sets[2], batch_size=256))


@ex.automain
def main(_run):
    """Train, test, and report where everything is."""
    torch.set_num_threads(2)
    train, val, test = make_loaders()
    model = Classifier()
    trainer = ex.get_trainer()
    trainer.fit(model, train, val)
    accuracy = trainer.test(model, test, verbose=False)[0]["test_acc"]
    if not trainer.is_global_zero:
        return None  # another process of a DDP job: the first one reports
    print(f"test accuracy: {accuracy:.3f}")
    if _run.storage_dir is None:
        print("nothing kept:  an unobserved run (-u) has no storage dir")
        return {"test_acc": accuracy}
    print(f"storage dir:   {_run.storage_dir} (config.json, checkpoints/, tensorboard/, runs/{_run.id}/)")
    print(f"load it back:  ba3l.load({_run.storage_dir!r})")
    print(f"go on with it: python digits.py resume {_run.storage_dir}")
    return {"test_acc": accuracy}
