"""Ba3l-style ingredient groups: ``ex.datasets.train`` and ``ex.models.net`` made on first use.

An :class:`IngredientGroup` creates a child ingredient for every attribute it is asked
for, so a script names its datasets and models as it uses them. Each group belongs to
its experiment: two experiments in one process never share one.
"""

from __future__ import annotations

from ._ingredient import Ingredient


class IngredientGroup(Ingredient):
    """An ingredient whose unknown attributes are child ingredients, made on first use.

    Example:
        >>> ex.datasets.train.iter("torch.utils.data.DataLoader", batch_size=64, train=True)  # doctest: +SKIP
    """

    def __getattr__(self, name: str) -> Ingredient:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.child(name, lambda: Ingredient(name))
