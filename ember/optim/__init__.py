"""Layer 4: ``ember.optim`` — optimizers and learning-rate schedules (``ember.optim.lr_scheduler``)."""
from . import lr_scheduler  # noqa: F401
from ._algos import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, RMSprop
from .lbfgs import LBFGS
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad",
           "Adadelta", "LBFGS", "lr_scheduler"]
