"""``ember.utils.model_zoo``: PyTorch's older name for :func:`ember.hub.load_state_dict_from_url`
(``torch.utils.model_zoo.load_url``), kept for the programs that still call it."""
from ..hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
