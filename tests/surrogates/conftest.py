"""Fixtures of the surrogate tests."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # The problems here are tiny: on a shared 2-core machine BLAS threads only add
    # contention (lbfgs fits were 10-30x slower with them).
    with threadpool_limits(limits=1):
        yield
