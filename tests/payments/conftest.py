import pytest

from tests.payments.localstripe import LocalStripe


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """A localstripe subprocess for the whole run, on a free loopback port with its own data file."""
    server = LocalStripe(tmp_path_factory.mktemp("localstripe") / "store.pickle")
    server.wait_until_ready()
    yield server
    server.stop()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """An empty localstripe store, with the project's Stripe client pointed at it."""
    localstripe_server.reset()
    settings.STRIPE_API_BASE = localstripe_server.base
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_OMIT_PARAMS = ["description"]
    return localstripe_server
