"""Op-table rows of the trigonometric/hyperbolic functions (``ember/ops/trig.py``) and the
pointwise extras and trapezoid rule (``ember/ops/pointwise.py``)."""
from __future__ import annotations

from ..opcheck import A0, C, N, P, T, U
from .cases import BROADCAST, row, unary

TRIPLES = [
    (N(3, 4), N(3, 4), N(3, 4)),
    (N(2, 3, 4), N(4), N(3, 1)),
    (N(), N(3), N(2, 1)),
    (T(3, 4), N(4), N()),
    (N(0, 3), N(3), N(1, 3)),
]

CASES = [
    # ------------------------------------------------------------------ inverse trig, hyperbolic
    row("asin", lambda m, a: m.asin(a), unary("unit")),
    row("acos", lambda m, a: m.acos(a), unary("unit")),
    row("atan", lambda m, a: m.atan(a), unary()),
    row("sinh", lambda m, a: m.sinh(a), unary()),
    row("cosh", lambda m, a: m.cosh(a), unary()),
    row("asinh", lambda m, a: m.asinh(a), unary()),
    row("acosh", lambda m, a: m.acosh(a + 1), unary("pos")),
    row("atanh", lambda m, a: m.atanh(a), unary("unit")),
    row("arc_aliases", lambda m, a: m.arcsin(a) + m.arccos(a) * m.arctan(a) + m.arcsinh(a)
        - m.arctanh(a) + m.arccosh(a.abs() + 1.5), [(U(3, 4),), (U(),)]),
    row("trig_methods", lambda m, a: a.asin() + a.acos() + a.atan() + a.sinh() + a.cosh()
        + a.asinh() + a.atanh() + (a + 2).acosh(), [(U(3, 4),)]),
    row("trig_inplace", lambda m, a: (a * 0.5).asin_().sinh_().atan_().cosh_() + (a * 0.6).acos_()
        + (a * 0.2).arcsin_() + (a * 0.1).arctan_() + (a * 0.3).deg2rad_().rad2deg_()
        + (a * 0.4).tan_(),
        [(U(3, 4),)]),  # PyTorch has no backward for asinh_, acosh_, atanh_ (ember has)
    row("deg2rad", lambda m, a: m.deg2rad(a * 90) + a.rad2deg(), unary()),
    row("atan2", lambda m, a, b: m.atan2(a, b), BROADCAST),
    row("arctan2_method", lambda m, a, b: a.arctan2(b) + (a * 1).atan2_(b), [(N(3, 4), N(4))]),
    row("hypot", lambda m, a, b: m.hypot(a, b), BROADCAST),
    row("hypot_inplace", lambda m, a, b: (a * 1).hypot_(b), [(N(3, 4), N(3, 4))]),
    # ------------------------------------------------------------------ pointwise extras
    row("logaddexp", lambda m, a, b: m.logaddexp(a * 5, b), BROADCAST),
    row("logaddexp2", lambda m, a, b: a.logaddexp2(b * 5), BROADCAST),
    row("copysign", lambda m, a, b: m.copysign(a, b), BROADCAST),
    row("copysign_number", lambda m, a: m.copysign(a, -1.0) + (a * 1).copysign_(2), unary()),
    row("nextafter", lambda m, a, b: m.nextafter(a, b), BROADCAST[:5]),
    row("fmod", lambda m, a, b: m.fmod(a * 3, b),
        [(N(3, 4), A0(3, 4)), (N(2, 3, 4), A0(3, 1)), (N(), A0(3)), (T(3, 4), A0(4)),
         (N(0, 2), A0(2))]),
    row("fmod_number", lambda m, a: m.fmod(a * 3, 1.5) + (a * 2).fmod_(-0.7), unary()),
    row("frac", lambda m, a: m.frac(a * 3) + (a * 2).frac_(), unary()),
    row("float_power", lambda m, a, b: m.float_power(a, b),
        [(P(3, 4), N(3, 4)), (P(2, 3), N(3)), (P(), N(2, 2)), (P(0, 3), N(3))]),
    row("float_power_numbers", lambda m, a: m.float_power(a, 3) + m.float_power(2, a)
        + a.float_power(0.5), unary("pos")),
    row("lerp", lambda m, a, b, w: m.lerp(a, b, w), TRIPLES),
    row("lerp_weights", lambda m, a, b: m.lerp(a, b, 0.3) + a.lerp(b, 0.8) + (a * 1).lerp_(b, 2.0),
        [(N(3, 4), N(3, 4)), (N(2, 3), N(3)), (T(3, 4), N(4))]),
    row("lerp_tensor_weight_far", lambda m, a, b, w: m.lerp(a, b, w * 3), TRIPLES[:2]),
    row("addcmul", lambda m, a, b, c: m.addcmul(a, b, c), TRIPLES),
    row("addcmul_value", lambda m, a, b, c: a.addcmul(b, c, value=-0.5)
        + (a * 1).addcmul_(b, c, value=2), [(N(3, 4), N(3, 4), N(4))]),
    row("addcdiv", lambda m, a, b, c: m.addcdiv(a, b, c, value=0.7),
        [(N(3, 4), N(3, 4), A0(3, 4)), (N(2, 3, 4), N(4), A0(3, 1)), (N(), N(3), A0(2, 1)),
         (T(3, 4), N(4), A0()), (N(0, 3), N(3), A0(1, 3))]),
    row("addcdiv_inplace", lambda m, a, b, c: (a * 1).addcdiv_(b, c), [(N(3, 4), N(4), A0(3, 4))]),
    # ------------------------------------------------------------------ trapezoid rule
    row("trapezoid", lambda m, y: m.trapezoid(y), [(N(5),), (N(3, 4),), (T(3, 4),), (N(2, 1),),
                                                  (N(3, 0),), (N(0, 3),)]),
    row("trapezoid_dx_dim", lambda m, y: m.trapezoid(y, dx=0.5, dim=0) + m.trapz(y, dim=0),
        [(N(3, 4),), (N(1, 2),)]),
    row("trapezoid_x", lambda m, y, x: m.trapezoid(y, x), [(N(3, 4), N(4)), (N(3, 4), N(3, 4)),
                                                           (N(2, 3, 4), N(3, 4)), (T(3, 4), N(4))]),
    row("trapezoid_x_dim", lambda m, y, x: m.trapz(y, x, dim=0),
        [(N(3, 4), N(3)), (N(3, 2), N(3, 1))]),
    row("cumulative_trapezoid", lambda m, y: m.cumulative_trapezoid(y)
        + m.cumulative_trapezoid(y, dx=2.0), [(N(5),), (N(3, 4),), (T(3, 4),), (N(3, 1),),
                                              (N(0, 3),)]),
    row("cumulative_trapezoid_x", lambda m, y, x: m.cumulative_trapezoid(y, x, dim=0),
        [(N(4, 3), N(4)), (N(4, 3), N(4, 3))]),
    row("trapezoid_int", lambda m, y: m.trapezoid(y) + m.cumulative_trapezoid(y).sum(),
        [(C([[1, 4, 2], [3, 0, 5]]),)]),
]
