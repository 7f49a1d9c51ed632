"""TensorBoard event files with ``torch.utils.tensorboard``'s names.

``SummaryWriter`` writes standard event files through the maintained ``tensorboardX``
writer (an optional extra: ``pip install "ember[tensorboard]"``); ember tensors and
arrays are accepted wherever PyTorch takes tensors, and ``add_graph`` records ember's
autograd graph of ``model(input)`` (one node per op, parameters and the input as
leaves, output shapes on the edges). View with ``tensorboard --logdir runs``.

    from ember.utils.tensorboard import SummaryWriter
    writer = SummaryWriter()                       # runs/<date>_<host>
    writer.add_scalar("loss/train", loss.item(), step)
    writer.add_histogram("fc1.weight", model.fc1.weight, step)
    writer.close()
"""
from __future__ import annotations

import datetime
import os
import socket

import numpy as np

from ..tensor import Tensor

__all__ = ["SummaryWriter"]


def _tbx():
    try:
        import tensorboardX  # noqa: PLC0415
    except ImportError:
        raise ImportError("ember.utils.tensorboard needs the tensorboardX writer: pip install "
                          "'ember[tensorboard]' (or tensorboardX)") from None
    return tensorboardX


def _np(v):
    """Tensors (any device) and array-likes as NumPy; numbers stay numbers."""
    if isinstance(v, Tensor):
        v = v.detach().cpu().numpy()
    if hasattr(v, "get") and not isinstance(v, (np.ndarray, dict)):  # a CuPy array
        v = v.get()
    return v


def _scalar(v):
    v = _np(v)
    if isinstance(v, np.ndarray):
        if v.size != 1:
            raise ValueError(f"add_scalar: expected a single value, got shape {v.shape}")
        v = v.reshape(()).item()
    return float(v)


class SummaryWriter:
    """Write TensorBoard event files into ``log_dir`` (default ``runs/<date>_<host><comment>``,
    as PyTorch). Arguments and methods as ``torch.utils.tensorboard.SummaryWriter``."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = ""):
        tbx = _tbx()
        if not log_dir:
            stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = log_dir
        self._w = tbx.SummaryWriter(log_dir, purge_step=purge_step, max_queue=max_queue,
                                    flush_secs=flush_secs, filename_suffix=filename_suffix)
        self._series: dict = {}  # add_scalars' runs

    def get_logdir(self) -> str:
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One point of a scalar series, in the event's ``simple_value`` field."""
        if new_style or double_precision:
            raise NotImplementedError("add_scalar(new_style=True / double_precision=True): "
                                      "ember's writer stores scalars in the simple_value field "
                                      "only")
        self._w.add_scalar(tag, _scalar(scalar_value), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several series in one chart: each in a run of its own,
        ``log_dir/<main_tag>_<tag>`` with tag ``main_tag``, as PyTorch lays them out."""
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            w = self._series.get(folder)
            if w is None:
                w = self._series[folder] = _tbx().SummaryWriter(folder)
            w.add_scalar(main_tag, _scalar(value), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        self._w.add_histogram(tag, np.asarray(_np(values), dtype=np.float64), global_step,
                              bins, walltime, max_bins)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._w.add_image(tag, np.asarray(_np(img_tensor)), global_step, walltime,
                          dataformats=dataformats)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._w.add_images(tag, np.asarray(_np(img_tensor)), global_step, walltime,
                           dataformats=dataformats)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._w.add_text(tag, text_string, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None):
        """Hyperparameters and the metrics they gave, for TensorBoard's HPARAMS tab (a run
        of its own under ``log_dir``, named by the time unless ``run_name`` says).
        TensorBoard infers each hyperparameter's domain; declaring discrete ones
        (``hparam_domain_discrete``) is not supported."""
        if hparam_domain_discrete is not None:
            raise NotImplementedError("add_hparams(hparam_domain_discrete=...): ember's writer "
                                      "records hyperparameters without declared domains")
        self._w.add_hparams({k: _np(v) if not isinstance(v, (bool, str)) else v
                             for k, v in hparam_dict.items()},
                            {k: _scalar(v) for k, v in metric_dict.items()},
                            name=run_name, global_step=global_step)

    def add_graph(self, model, input_to_model=None, verbose: bool = False,
                  use_strict_trace: bool = True):
        """Record the autograd graph of ``model(input_to_model)`` (run here, in eval mode,
        gradients on): the ops as nodes, parameters under ``params/`` and the input under
        ``input/``, each node with its output's shape, as TensorBoard's GRAPHS tab shows."""
        from ..autograd.function import Node  # noqa: PLC0415

        if input_to_model is None:
            raise ValueError("add_graph: give input_to_model (an example batch): ember "
                             "draws the graph the forward pass records")
        inputs = input_to_model if isinstance(input_to_model, (tuple, list)) else \
            (input_to_model,)
        inputs = [x.detach().requires_grad_(True) if isinstance(x, Tensor) and
                  x.dtype.is_floating_point else x for x in inputs]
        was = model.training
        model.eval()
        try:
            out = model(*inputs)
        finally:
            model.train(was)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        names = {id(p): f"params/{n}" for n, p in model.named_parameters()}
        for k, x in enumerate(inputs):
            if isinstance(x, Tensor):
                names[id(x)] = f"input/input.{k}"
        graph = _graph_def(outs, names, Node)
        if verbose:
            print(graph)
        from tensorboardX.proto import event_pb2  # noqa: PLC0415

        self._w._get_file_writer().add_event(
            event_pb2.Event(graph_def=graph.SerializeToString()), None, None)

    def flush(self):
        for w in (self._w, *self._series.values()):
            w.flush()

    def close(self):
        for w in (self._w, *self._series.values()):
            w.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _graph_def(outputs, names, Node):  # noqa: N803 - the class, passed in
    """A TensorFlow GraphDef of the autograd graph behind ``outputs``."""
    _tbx()
    from tensorboardX.proto.attr_value_pb2 import AttrValue  # noqa: PLC0415
    from tensorboardX.proto.graph_pb2 import GraphDef  # noqa: PLC0415
    from tensorboardX.proto.node_def_pb2 import NodeDef  # noqa: PLC0415
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto  # noqa: PLC0415
    from tensorboardX.proto.versions_pb2 import VersionDef  # noqa: PLC0415

    def shape_attr(shape):
        dims = [TensorShapeProto.Dim(size=int(d)) for d in shape]
        return {"_output_shapes": AttrValue(list=AttrValue.ListValue(
            shape=[TensorShapeProto(dim=dims)]))}

    from ..autograd.explain import graph_nodes  # noqa: PLC0415

    ids, nodes = {}, []
    roots = [t.grad_fn for t in outputs if isinstance(t, Tensor) and t.grad_fn is not None]
    order, shapes = graph_nodes(roots)
    for node in reversed(order):  # inputs before their consumers
        ids[id(node)] = f"{node.name()}_{len(ids)}"
    leaves = {}
    for node in reversed(order):
        inputs = []
        for e in node._edges:
            if e is None:
                continue
            src = e[0]
            if isinstance(src, Node):
                inputs.append(ids[id(src)])
            else:
                name = names.get(id(src)) or f"leaf/tensor.{len(leaves)}"
                leaves.setdefault(id(src), (name, tuple(src.shape)))
                inputs.append(leaves[id(src)][0])
        shape = shapes.get((id(node), 0))
        for t in outputs:
            if isinstance(t, Tensor) and t.grad_fn is node:
                shape = tuple(t.shape)
        nodes.append(NodeDef(name=ids[id(node)], op=node.name().removesuffix("Backward"),
                             input=inputs, attr=shape_attr(shape) if shape is not None else {}))
    for name, shape in leaves.values():
        nodes.append(NodeDef(name=name, op="Parameter" if name.startswith("params/")
                             else "IO Node", attr=shape_attr(shape)))
    for k, t in enumerate(outputs):
        if isinstance(t, Tensor) and t.grad_fn is not None:
            nodes.append(NodeDef(name=f"output/output.{k}", op="IO Node",
                                 input=[ids[id(t.grad_fn)]], attr=shape_attr(tuple(t.shape))))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
