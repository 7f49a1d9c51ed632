"""Complete PyTorch-style training programs (``programs/``), each run twice: with PyTorch and
with ember imported as ``torch`` by a small shim (``programs/_run.py``); the program text is
the same. Random streams differ between the libraries, so the checks are those a user would
make of either run (the loss falls, shapes, names and schedules agree), plus agreement
between the two runs where the numbers do not depend on the random stream."""
from __future__ import annotations

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

from ._libs import torch

HERE = pathlib.Path(__file__).parent / "programs"
_cache: dict = {}
# programs that run as on a machine without a GPU (no CUDA stand-in for ember)
NO_GPU = {"vae_legacy"}


def _run(program, lib, tmp_path_factory):
    key = (program, lib)
    if key not in _cache:
        cwd = tmp_path_factory.mktemp(f"{program}-{lib}")
        env = {**os.environ, "EMBER_STANDIN_CUDA": "0"} if program in NO_GPU else None
        proc = subprocess.run([sys.executable, str(HERE / "_run.py"), "--lib", lib,
                               str(HERE / f"{program}.py")], cwd=cwd, capture_output=True,
                              text=True, timeout=300, env=env)
        assert proc.returncode == 0, f"{program} under {lib} failed:\n{proc.stderr[-3000:]}"
        _cache[key] = json.loads(proc.stdout.strip().splitlines()[-1])
    return _cache[key]


def _falls(first, last, factor=1.0):
    return math.isfinite(last) and last < first * factor


def check_mnist_cnn(r):
    assert abs(r["first_loss"] - math.log(10)) < 0.4 and _falls(r["first_loss"], r["last_loss"])
    assert r["correct"] >= 28 and math.isclose(r["lr"], 0.49)
    assert r["keys"] == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                         "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def check_dcgan(r):
    assert all(math.isfinite(v) for v in r["errD"] + r["errG"])
    assert abs(r["errD"][0] - 2 * math.log(2)) < 0.25 and r["errD"][-1] < r["errD"][0] + 0.05
    assert r["sample_shape"] == [8, 1, 16, 16] and -1 <= r["sample_range"][0] <= 0 <= \
        r["sample_range"][1] <= 1
    assert abs(r["init_std"] - 0.02) < 0.003  # weights_init through apply and .data.normal_
    assert r["keys"] == ["main.0.weight", "main.2.weight", "main.3.weight", "main.3.bias"]


def check_vae(r):
    e = r["epoch_losses"]
    assert e[0] > e[1] > e[2] and r["sample_shape"] == [8, 784] and r["in_unit_interval"]


def check_vae_legacy(r):
    e = r["epoch_losses"]
    assert e[0] > e[1] > e[2] and r["device"] == "cpu"
    # size_average=False sums the BCE over the batch: per image it is ~784 pixels' worth
    assert 300 < r["first_batch_per_image"] < 784 and r["mean_bce_last_batch"] < 1.0
    assert r["first_batch_per_image"] / r["mean_bce_last_batch"] > 600
    assert r["warnings"] == [
        "'pin_memory' argument is set as true but no accelerator is found, then device "
        "pinned memory won't be used.",
        "size_average and reduce args will be deprecated, please use reduction='sum' instead."]


def check_forward_forward(r):
    for first, last in r["layer_losses"]:
        assert _falls(first, last, 0.9)
    assert r["train_error"] < 0.85  # well below chance (0.9)


def check_poly_regression(r):
    assert r["batches"] == 500 and r["tail_loss"] < min(1.0, r["first_loss"] / 4)
    assert r["weight_error"] < 0.6  # the targets are N(0, 25) draws


def check_word_lm(r):
    assert _falls(r["first_loss"], r["last_loss"], 0.95)
    assert r["keys"] == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                         "rnn.bias_hh_l0"]


def check_word_lm_checkpoint(r):
    """The whole model comes back from its file: same loss, weights still tied, and the file
    is refused outside the safe_globals block."""
    assert r["saves"] >= 1 and r["best_val_loss"] < math.log(30)
    assert abs(r["reloaded_loss"] - r["best_val_loss"]) < 1e-6
    assert r["tied"] and r["type"] == "RNNModel" and r["rnn"] == "LSTM"
    assert r["refused_without_allow_list"]


def check_transformer_lm(r):
    assert _falls(r["first_loss"], r["last_loss"], 0.9) and r["out_shape"] == [8, 2, 20]
    assert r["n_keys"] == 30 and r["first_keys"][0] == "encoder.layers.0.self_attn.in_proj_weight"


def check_sine_lstmcell(r):
    assert r["losses"][-1] < r["losses"][0] and r["pred_shape"] == [3, 69]


def check_gradcam(r):
    assert _falls(r["first_loss"], r["last_loss"], 0.9) and r["heat_shape"] == [8, 8]
    assert r["calls"] == {"forward": 2, "backward": 2}  # and none after remove()
    assert r["grad_shape"] == r["act_shape"] == [1, 8, 4, 4]
    assert r["min_max"][0] == 0.0 and abs(r["min_max"][1] - 1.0) < 1e-6


def check_ste_quantized(r):
    assert _falls(r["first_loss"], r["last_loss"], 0.2) and r["accuracy"] > 0.9
    assert r["on_grid"] and r["clamp_grad"] == [0.0, 1.0, 0.0]
    assert r["grad_fn"] == r["grad_fn_name"] == "QuantizeSTEBackward"


def check_gpt_amp(r):
    assert abs(r["first_loss"] - math.log(r["vocab"])) < 0.3
    assert _falls(r["first_loss"], r["last_loss"], 0.5)
    d = {k: v.split(".")[-1] if isinstance(v, str) else v for k, v in r["dtypes"].items()}
    assert d == {"logits": "bfloat16", "loss": "float32", "weight": "float32", "grad": "float32",
                 "autocast_inside": True}
    assert r["scale"] == 65536.0 and r["scaler_state"] == [
        "_growth_tracker", "backoff_factor", "growth_factor", "growth_interval", "scale"]
    assert r["sample_len"] == 41 and r["sample_in_vocab"] and r["tied"]
    assert r["autocast_after"] is False


def check_imagefolder_finetune(r):
    assert r["classes"] == ["circle", "square", "triangle"] and r["n_train"] == 60
    assert r["batch_shape"] == [12, 3, 24, 24] and r["n_val"] == 30
    assert abs(r["first_loss"] - math.log(3)) < 0.3 and _falls(r["first_loss"], r["last_loss"],
                                                                0.8)
    assert r["accuracy"] >= 0.6 and r["head_accuracy"] >= 0.6  # chance: 1/3
    assert _falls(r["head_first_loss"], r["head_last_loss"], 0.9)
    assert r["frozen"] > 0 and r["trainable"] > 0


def check_reinforce(r):
    # a random policy rarely reaches the end of the corridor; the trained one walks straight
    assert r["first_entropy"] > 0.55 and r["last_entropy"] < r["first_entropy"] - 0.3
    assert r["last_return"] > 0.8 and r["last_return"] > r["first_return"] + 0.4
    assert r["last_length"] < r["first_length"] and r["greedy_steps"] == r["corridor"] - 1


def check_vae_distributions(r):
    e = r["epoch_losses"]
    assert 30 < e[0] < 50 and e[-1] < 0.6 * e[0] and r["mean_kl"] > 0.5
    assert r["kl_vs_closed_form"] < 1e-4  # kl_divergence(Normal, Normal) is the closed form
    assert r["joint_shape"] == [256] and r["sample_shape"] == [8, 64]
    assert r["samples_binary"] and r["rsample_has_grad"]


def check_fnet_rope(r):
    assert abs(r["first_loss"] - math.log(10)) < 0.5
    assert _falls(r["first_loss"], r["last_loss"], 0.05)
    assert r["accuracy"] > 0.9 and r["last_penalty"] < 0.5 * r["first_penalty"]
    assert r["spectrum_shape"] == [6, 16] and r["grad_dtype"].endswith(".float64")


CHECKS = {name[len("check_"):]: fn for name, fn in globals().copy().items()
          if name.startswith("check_")}
CASES = []
for _name in CHECKS:
    CASES.append(pytest.param(_name, "torch", id=f"{_name}-torch", marks=pytest.mark.skipif(
        torch is None, reason="PyTorch (the oracle) is not installed")))
    CASES.append(pytest.param(_name, "ember", id=f"{_name}-ember"))


def test_every_program_has_a_check():
    assert sorted(CHECKS) == sorted(p.stem for p in HERE.glob("[!_]*.py"))


@pytest.mark.parametrize("program,lib", CASES)
def test_program_runs_and_learns(program, lib, tmp_path_factory):
    CHECKS[program](_run(program, lib, tmp_path_factory))


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
@pytest.mark.parametrize("program", ["mnist_cnn", "vae", "poly_regression", "word_lm",
                                     "transformer_lm", "gpt_amp", "vae_legacy"])
def test_program_results_agree_with_pytorch(program, tmp_path_factory):
    ours, theirs = _run(program, "ember", tmp_path_factory), _run(program, "torch",
                                                                   tmp_path_factory)
    assert set(ours) == set(theirs)
    if program == "mnist_cnn":
        assert ours["keys"] == theirs["keys"] and math.isclose(ours["lr"], theirs["lr"])
        assert abs(ours["last_loss"] - theirs["last_loss"]) < 0.5
    elif program == "transformer_lm":
        assert ours["first_keys"] == theirs["first_keys"] and ours["n_keys"] == theirs["n_keys"]
    elif program == "word_lm":
        assert ours["keys"] == theirs["keys"] and abs(ours["first_loss"] - theirs["first_loss"]) < 0.1
    elif program == "gpt_amp":  # mixed precision: the same dtypes, scale and learning
        assert ours["dtypes"] == {k: v.replace("torch.", "ember.") if isinstance(v, str) else v
                                  for k, v in theirs["dtypes"].items()}
        assert ours["scale"] == theirs["scale"] and ours["vocab"] == theirs["vocab"]
        assert abs(ours["last_loss"] - theirs["last_loss"]) < 0.5
    elif program in ("vae", "vae_legacy"):  # the ELBO's scale and fall: the model's
        for a, b in zip(ours["epoch_losses"], theirs["epoch_losses"]):
            assert abs(a - b) / b < 0.05
        if program == "vae_legacy":  # the same reduction, the same warnings
            assert abs(ours["first_batch_per_image"] / theirs["first_batch_per_image"] - 1) < 0.05
            assert ours["warnings"] == theirs["warnings"]
    else:
        assert ours["batches"] == theirs["batches"]
        assert abs(math.log(ours["tail_loss"]) - math.log(theirs["tail_loss"])) < 2.5


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
@pytest.mark.parametrize("program", ["gradcam", "ste_quantized"])
def test_hook_and_function_programs_agree_with_pytorch(program, tmp_path_factory):
    """Same weights, same data, deterministic steps: the numbers themselves agree."""
    import numpy as np  # noqa: PLC0415

    ours, theirs = _run(program, "ember", tmp_path_factory), _run(program, "torch",
                                                                   tmp_path_factory)
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        if isinstance(value, float) or key.startswith("heat") and key != "heat_shape":
            np.testing.assert_allclose(ours[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
        else:
            assert ours[key] == value, key


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_imagefolder_program_sees_what_torchvision_sees(tmp_path_factory):
    """The folder listing, the batches' shape and the model's sizes and state-dict keys are
    the same under both libraries (the random augmentations and weights are not)."""
    ours = _run("imagefolder_finetune", "ember", tmp_path_factory)
    theirs = _run("imagefolder_finetune", "torch", tmp_path_factory)
    for key in ("classes", "class_to_idx", "n_train", "n_val", "first_files", "batch_shape",
                "frozen", "trainable", "keys"):
        assert ours[key] == theirs[key], key


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_distribution_programs_agree_with_pytorch(tmp_path_factory):
    """The VAE's ELBO and the agent's final return are properties of the models, not of the
    random streams."""
    ours, theirs = (_run("vae_distributions", lib, tmp_path_factory) for lib in ("ember",
                                                                                 "torch"))
    assert abs(ours["final_loss"] - theirs["final_loss"]) / theirs["final_loss"] < 0.15
    ours, theirs = (_run("reinforce", lib, tmp_path_factory) for lib in ("ember", "torch"))
    assert abs(ours["last_return"] - theirs["last_return"]) < 0.1


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_fft_linalg_program_agrees_with_pytorch(tmp_path_factory):
    """Deterministic weights and data: the FFT mixer, the complex rotary embeddings, the
    norm penalty and the solve give PyTorch's numbers through training (float64)."""
    import numpy as np  # noqa: PLC0415

    ours, theirs = (_run("fnet_rope", lib, tmp_path_factory) for lib in ("ember", "torch"))
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        if key == "grad_dtype":
            assert ours[key] == value.replace("torch.", "ember.")
        elif key == "spectrum_shape":
            assert ours[key] == value
        else:
            np.testing.assert_allclose(ours[key], value, rtol=1e-8, err_msg=key)
