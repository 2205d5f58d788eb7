from tests.calendly.fixtures import *  # noqa: F403
