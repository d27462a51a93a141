import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_limits():
    # The rate limits' counts live in the cache, keyed by token id: ids repeat from
    # test to test as each one's rows are rolled back.
    cache.clear()
