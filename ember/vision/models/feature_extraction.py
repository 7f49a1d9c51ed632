"""Intermediate outputs of a model, as ``torchvision.models.feature_extraction``.

torchvision traces the model with ``torch.fx`` and rewrites its graph, so any operation can
be an output node. ember has no FX tracing: its nodes are the model's submodules, named as
``model.named_modules()`` names them (``"layer1"``, ``"layer1.0.conv1"``), and their outputs
are taken with forward hooks while the model's own ``forward`` runs. A module name asks for
that module's output — what torchvision's node of the same name gives. Outputs of operations
written inside a ``forward`` (torchvision's ``"add"``, ``"layer1.0.relu_1"``, ``"flatten"``)
have no module to hook and are refused with a ``ValueError`` that says so.
"""
from __future__ import annotations

from ... import nn

__all__ = ["create_feature_extractor", "get_graph_node_names"]


def _no_fx(name: str, value) -> None:
    if value is not None:
        raise NotImplementedError(
            f"{name}: ember has no FX tracing to configure; the nodes are the model's "
            "submodules, hooked as the model's own forward runs")


def get_graph_node_names(model: nn.Module, tracer_kwargs=None,
                         suppress_diff_warning: bool = False,
                         concrete_args=None) -> tuple[list[str], list[str]]:
    """The node names :func:`create_feature_extractor` accepts for ``model``, for training
    and for evaluation mode: its submodules' qualified names in registration order (the
    order the models here call them in).

    Both lists are the same: a module exists in both modes (torchvision's traced graphs can
    differ between the modes and it warns about that unless ``suppress_diff_warning``; ember
    has no such difference to warn about). ``tracer_kwargs`` and ``concrete_args`` configure
    FX tracing, which ember does not have: giving them raises ``NotImplementedError``.
    """
    _no_fx("tracer_kwargs", tracer_kwargs)
    _no_fx("concrete_args", concrete_args)
    if not isinstance(suppress_diff_warning, bool):
        raise TypeError("suppress_diff_warning must be a bool")
    names = [name for name, _ in model.named_modules() if name]
    return names, list(names)


def _as_strdict(nodes) -> dict[str, str]:
    if isinstance(nodes, list):
        return {str(n): str(n) for n in nodes}
    return {str(k): str(v) for k, v in nodes.items()}


class _Reached(Exception):
    """Raised by the last hook: every requested output is in, the rest of forward is not
    needed (torchvision's extractor drops those operations from its graph)."""


class FeatureExtractor(nn.Module):
    """The module :func:`create_feature_extractor` returns: it shares the model's submodules,
    parameters and buffers (its ``state_dict`` keys are the model's), runs the model's
    ``forward`` with hooks on the requested submodules, and returns ``{output name:
    tensor}`` in the order the outputs were computed. ``train()``/``eval()`` switch between
    the training and the evaluation nodes (and the model's mode).

    Shape:
        - Input: the model's input; Output: a dict of the requested modules' outputs.
    """

    def __init__(self, model: nn.Module, train_return_nodes: dict[str, str],
                 eval_return_nodes: dict[str, str]) -> None:
        super().__init__()
        self.__dict__["_root"] = model  # not a child: its children are this module's own
        for name, child in model.named_children():
            self.add_module(name, child)
        for name, p in model._parameters.items():
            self.register_parameter(name, p)
        self._share_buffers()
        self.train_return_nodes = dict(train_return_nodes)
        self.eval_return_nodes = dict(eval_return_nodes)
        self.train(model.training)

    def _share_buffers(self) -> None:
        root = self._root
        for name, b in root._buffers.items():
            self.register_buffer(name, b, persistent=name not in root._non_persistent_buffers_set)

    def train(self, mode: bool = True) -> FeatureExtractor:
        self._root.train(mode)
        return super().train(mode)

    def _apply(self, fn, recurse: bool = True) -> FeatureExtractor:
        self._root._apply(fn, recurse)  # the children and parameters are the same objects
        self._share_buffers()  # buffers are replaced by what fn returns: take the new ones
        return self

    def forward(self, *args, **kwargs) -> dict:
        nodes = self.train_return_nodes if self.training else self.eval_return_nodes
        captured: dict = {}

        def hook_for(name):
            def hook(module, inputs, output):
                if name not in captured:
                    captured[name] = output
                    if len(captured) == len(nodes):
                        raise _Reached
            return hook

        handles = [self._root.get_submodule(name).register_forward_hook(hook_for(name))
                   for name in nodes]
        try:
            self._root(*args, **kwargs)
        except _Reached:
            pass
        finally:
            for h in handles:
                h.remove()
        missing = [name for name in nodes if name not in captured]
        if missing:
            raise RuntimeError(f"create_feature_extractor: the model's forward did not call "
                               f"{missing} (in {'training' if self.training else 'eval'} "
                               "mode), so their outputs cannot be returned")
        return {nodes[name]: out for name, out in captured.items()}

    def extra_repr(self) -> str:
        nodes = self.train_return_nodes if self.training else self.eval_return_nodes
        return f"return_nodes={nodes}"


def create_feature_extractor(model: nn.Module, return_nodes=None, train_return_nodes=None,
                             eval_return_nodes=None, tracer_kwargs=None,
                             suppress_diff_warning: bool = False,
                             concrete_args=None) -> FeatureExtractor:
    """A module returning the outputs of ``model``'s submodules named in ``return_nodes``
    as a dict (``{"layer2": "feat2"}`` names the output ``feat2``; a list keeps the module
    names), computed by the model's own ``forward`` (stopped once every output is in).

    ``train_return_nodes`` and ``eval_return_nodes`` (both, instead of ``return_nodes``)
    choose different nodes for the two modes. Node names are module names (see the module
    documentation: ember has no FX tracing); a name that is not a submodule raises
    ``ValueError``. ``tracer_kwargs`` and ``concrete_args`` configure FX tracing and raise
    ``NotImplementedError``; ``suppress_diff_warning`` has nothing to suppress (the modes'
    node lists never differ in ember).

    Example::

        >>> import ember
        >>> from ember.vision.models import resnet18
        >>> m = create_feature_extractor(resnet18(), {"layer1": "feat1", "layer3": "feat2"})
        >>> out = m(ember.rand(1, 3, 64, 64))
        >>> [(k, tuple(v.shape)) for k, v in out.items()]
        [('feat1', (1, 64, 16, 16)), ('feat2', (1, 256, 4, 4))]
    """
    _no_fx("tracer_kwargs", tracer_kwargs)
    _no_fx("concrete_args", concrete_args)
    if not isinstance(suppress_diff_warning, bool):
        raise TypeError("suppress_diff_warning must be a bool")
    if all(arg is None for arg in [return_nodes, train_return_nodes, eval_return_nodes]):
        raise ValueError("Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` "
                         "together, should be specified")
    if (train_return_nodes is None) ^ (eval_return_nodes is None):
        raise ValueError("If any of `train_return_nodes` and `eval_return_nodes` are "
                         "specified, then both should be specified")
    if not ((return_nodes is None) ^ (train_return_nodes is None)):
        raise ValueError("If `train_return_nodes` and `eval_return_nodes` are specified, then "
                         "both should be specified")
    if train_return_nodes is None:
        train_return_nodes = eval_return_nodes = _as_strdict(return_nodes)
    else:
        train_return_nodes = _as_strdict(train_return_nodes)
        eval_return_nodes = _as_strdict(eval_return_nodes)
    modules = {name for name, _ in model.named_modules() if name}
    for query in list(train_return_nodes) + list(eval_return_nodes):
        if query not in modules:
            raise ValueError(
                f"node: '{query}' is not present in model: ember has no FX tracing, so the "
                "nodes it can return are the model's submodules (named as in "
                "model.named_modules(); get_graph_node_names(model) lists them), whose "
                "outputs it takes with forward hooks. The result of an operation written "
                "inside a forward() has no module to hook: ask for the submodule that "
                "produces it, or compute that operation in a module of its own.")
    return FeatureExtractor(model, train_return_nodes, eval_return_nodes)
