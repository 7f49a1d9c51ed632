"""The oneDNN tests run with oneDNN switched on even in CI's second pass with
``EMBER_ONEDNN=0`` (that pass is for the layers' NumPy path; these tests switch the two paths
themselves and check the default, which the environment variable would change)."""
import pytest

from ember.backends import mkldnn


@pytest.fixture(autouse=True)
def _onednn_on(monkeypatch):
    monkeypatch.delenv("EMBER_ONEDNN", raising=False)  # and for the subprocesses they start
    monkeypatch.setattr(mkldnn, "enabled", True)
