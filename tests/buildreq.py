"""Build products the tests need: a missing one fails the test (see conftest.py)."""

import importlib

import pytest


def built(cond, what):
    """A mark: the test fails unless cond (what: the missing build product)."""
    return pytest.mark.built(bool(cond), what)


def need_module(name):
    """import name, or fail: it is part of the build or a declared dependency."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        pytest.fail(f"{name} cannot be imported ({e}): a build or install failure",
                    pytrace=False)


def fail_build(why):
    pytest.fail(f"build failure: {why}", pytrace=False)
