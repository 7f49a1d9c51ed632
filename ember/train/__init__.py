"""Layer 7: ``ember.train`` — the Trainer and its callbacks."""
from .summary import summary
from .trainer import Callback, Checkpoint, EarlyStopping, MetricsLogger, ProgressBar, Trainer

__all__ = ["Trainer", "Callback", "ProgressBar", "MetricsLogger", "Checkpoint", "EarlyStopping", "summary"]
