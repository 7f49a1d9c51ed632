"""Invertible transforms with computable log-determinants of their Jacobians
(``torch.distributions.transforms``), the building blocks of
:class:`TransformedDistribution` and of :func:`biject_to` / :func:`transform_to`."""
from ._bijections import (AbsTransform, AffineTransform, CorrCholeskyTransform, ExpTransform,
                          LowerCholeskyTransform, PositiveDefiniteTransform, PowerTransform,
                          SigmoidTransform, SoftmaxTransform, SoftplusTransform,
                          StickBreakingTransform, TanhTransform)
from ._transform_base import (CatTransform, ComposeTransform, CumulativeDistributionTransform,
                              IndependentTransform, ReshapeTransform, StackTransform, Transform,
                              identity_transform)

__all__ = [
    "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
    "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
    "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
    "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
    "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform",
    "Transform", "identity_transform",
]
