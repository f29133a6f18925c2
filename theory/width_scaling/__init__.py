"""Width scaling: abc-parametrisations of a ReLU MLP, and the maximal update parametrisation (muP).

Yang and Hu, "Feature Learning in Infinite-Width Neural Networks" (Tensor Programs IV, ICML 2021, arXiv:2011.14522)
[1] and Yang et al., "Tensor Programs V: Tuning Large Neural Networks via Zero-Shot Hyperparameter Transfer"
(arXiv:2203.03466) [2]; the released ``mup`` package (microsoft/mup) [3].

Two modules (every name is re-exported here, so ``from theory.width_scaling import ...`` works as before):

- ``mlp``: the parametrisation from its exponents, the update exponents it predicts, and the network's
  initialisation, forward pass and one optimiser step;
- ``transfer``: the coordinate check and the learning-rate sweep across widths.

Conventions, stated once.

- **Network.** A ReLU MLP with widths (d_in, n_1, ..., n_L, d_out): pre-activations h_1 = W_1 x,
  h_l = W_l relu(h_{l-1}), and output f = W_{L+1} relu(h_L). Layer 1 is the *input* layer (fan-in d_in fixed),
  layers 2..L are *hidden* (fan-in and fan-out grow), layer L+1 is the *output* layer (fan-out d_out fixed). The
  width n of a layer is its fan-out for the input layer and its fan-in otherwise. No biases.
- **abc-parametrisation** [1]: per layer, the effective weight is W_l = n^(-a_l) w_l with trainable w_l initialised
  N(0, sigma_l^2 n^(-2 b_l)), sigma_1 = 1/sqrt(d_in) and sigma_l = 1 otherwise (constants that do not depend on n),
  and the learning rate of w_l is eta n^(-c_l). SGD and Adam have their own c (``c_sgd``, ``c_adam``). The four
  exponent triples (input, hidden, output) are a ``Parametrization``; ``PARAMETRIZATIONS`` holds
  - ``"sp"``: standard: a = 0, b = (0, 1/2, 1/2) (PyTorch's 1/fan_in variance), c = 0 (one global step);
  - ``"ntk"``: a = (0, 1/2, 1/2), b = 0, c = 0 [1];
  - ``"mup"``: muP in the abc form of [1]: a = (-1/2, 0, 1/2), b = 1/2, c_sgd = 0; Adam c = (1/2, 1, 1/2)
    (derived here from the symmetry below and the Table 3 form);
  - ``"mup_table3"``: [2, Table 3] (as reproduced in several released repositories): a = 0; init variance
    1/fan_in, 1/fan_in, 1/fan_in^2, i.e. b = (0, 1/2, 1); SGD learning rate fan_out, 1, 1/fan_in, i.e.
    c_sgd = (-1, 0, 1); Adam learning rate 1, 1/fan_in, 1/fan_in, i.e. c_adam = (0, 1, 1);
  - ``"mup_package"``: the ``mup`` package [3]: ``MuReadout`` divides its input by the width multiplier (a_out = 1)
    and rescales its initial weights by sqrt(width multiplier) (b_out = 0); ``MuSGD`` multiplies the learning rate
    of vector-like parameters (input and readout weights) by the width multiplier (c = -1) and divides that of
    matrix-like ones by the fan-in/fan-out ratio (1 for square hidden layers: c = 0); ``MuAdam`` divides the
    learning rate of matrix-like parameters by the width multiplier (c_adam = (0, 1, 0)). The package measures
    widths relative to a base width n_0, which multiplies every quantity by a constant: exponents are unchanged.
- **The symmetry** (derived here; [1] states it for SGD): (a, b, c) -> (a + theta, b - theta, c - 2 theta) for SGD,
  and (a + theta, b - theta, c - theta) for Adam (whose first step is scale-free: lr sign(gradient) as eps -> 0),
  leaves the network function at initialisation and every training step unchanged: W_l = n^(-(a+b)) sigma z, and
  the SGD change of W_l is n^(-a) times the change of w_l = eta n^(-c) n^(-a) dL/dW_l. The three muP forms are
  related by it layer by layer (table3 -> abc: theta = (-1/2, 0, 1/2); table3 -> package: theta = (0, 0, 1)).
- **One step** of full-batch SGD or Adam on the mean squared error (1/(2B)) sum_b ||f(x_b) - y_b||^2 over a batch of
  B inputs; Adam's first step, with bias correction, is lr g / (|g| + eps), ``adam_eps`` = 0 by default so that the
  symmetry holds exactly (an exact-zero gradient entry, a dead ReLU, gives 0).

**Predicted update exponents** (derived here, for the *first-order* change, learning rate -> 0 at each width, of the
last hidden pre-activations h_L and of the output on the training batch; ``predicted_update_exponents``). Write
entry sizes as powers of n. Forward: p_1 = -(a_1 + b_1), p_l = p_(l-1) + 1/2 - (a_l + b_l) (sums of n random
terms), p_out likewise. The residual f - y at initialisation is taken of size n^chi with chi = 0: the coordinate
check makes it so (its targets are y = f_0(x) + r with a fixed r, so that the residual is -r for every width and
seed); with fixed targets and p_out > 0 the residual grows like n^p_out, which adds p_out to every SGD exponent and
nothing to Adam's. Backward (SGD):
q_L = chi - (a_out + b_out), q_(l-1) = q_l + 1/2 - (a_l + b_l). SGD moves W_l by an effective step
eta n^(gamma_l), gamma_l = -(c_l + 2 a_l), along delta_l x_(l-1)'. Then, with e_l the exponent of the change of h_l,

- e_1 = gamma_1 + q_1 (SGD), -(c_1 + a_1) (Adam: the change is lr sign(.) summed over the fixed d_in inputs);
- e_l = max(A_l, B_l), B_l = e_(l-1) + 1/2 - (a_l + b_l) (W_l times the change of x_(l-1): that change lies along
  W_l' delta_l, and W_l W_l' sums n squared entries coherently), and A_l, the change of W_l times x_(l-1) (x >= 0
  after a ReLU, so the sum over the fan-in is coherent): gamma_l + q_l + 1 + 2 p_(l-1) (SGD), -(c_l + a_l) + 1 +
  p_(l-1) (Adam, entries lr sign(delta_l));
- the output: max(A_out, e_L + 1 - (a_out + b_out)) (the change of x_L lies along W_out': coherent), with
  A_out = gamma_out + chi + 1 + 2 p_L (SGD) or -(c_out + a_out) + 1 + p_L (Adam).

The two terms of each max have the same sign (both move along -delta), so they cannot cancel. Checked for SP, NTK,
muP and for random tables in ``sims/width_scaling``: SGD SP (+1/2, +1), NTK (-1/2, 0), muP (0, 0); Adam SP (+1, +3/2),
muP (0, 0). At a fixed, not small, learning rate a blowing-up parametrisation also grows by second-order terms
(the change of W_out times the change of x_L), which the first-order exponents leave out: SP's Adam output, for
example, grows like n^2 once the hidden change exceeds the activations.

References
----------
.. [1] G. Yang, E. J. Hu, "Feature Learning in Infinite-Width Neural Networks", ICML 2021, arXiv:2011.14522.
.. [2] G. Yang, E. J. Hu, I. Babuschkin, S. Sidor, X. Liu, D. Farhi, N. Ryder, J. Pachocki, W. Chen, J. Gao,
   "Tensor Programs V: Tuning Large Neural Networks via Zero-Shot Hyperparameter Transfer", arXiv:2203.03466.
.. [3] microsoft/mup, ``mup/layer.py`` (``MuReadout``) and ``mup/optim.py`` (``MuSGD``, ``MuAdam``).
"""

from theory.width_scaling._base import (
    LAYERS,
    MAX_EXPONENT,
    MAX_LR,
    MAX_WIDTH,
    OPTIMIZERS,
    PARAMETRIZATIONS,
    Forward,
    MLPParams,
    Parametrization,
)
from theory.width_scaling.mlp import (
    abc_parametrization,
    mlp_forward,
    mlp_init,
    mlp_one_step,
    predicted_update_exponents,
)
from theory.width_scaling.transfer import CoordinateCheck, LRSweep, coordinate_check, lr_sweep, tanh_teacher

__all__ = [
    "LAYERS",
    "MAX_EXPONENT",
    "MAX_LR",
    "MAX_WIDTH",
    "OPTIMIZERS",
    "PARAMETRIZATIONS",
    "CoordinateCheck",
    "Forward",
    "LRSweep",
    "MLPParams",
    "Parametrization",
    "abc_parametrization",
    "coordinate_check",
    "lr_sweep",
    "mlp_forward",
    "mlp_init",
    "mlp_one_step",
    "predicted_update_exponents",
    "tanh_teacher",
]
