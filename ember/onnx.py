"""``torch.onnx``: ember cannot export ONNX graphs; the name exists so programs import."""


def export(model, args=None, f=None, *unused, **kwargs):
    """Not supported by ember: raises ``NotImplementedError``."""
    raise NotImplementedError(
        "torch.onnx.export is not supported by ember: ember runs eagerly and records no "
        "exportable graph. Save the weights with ember.save(model.state_dict(), path) and "
        "rebuild the model where it is needed.")


def is_in_onnx_export() -> bool:
    return False
