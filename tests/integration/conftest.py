"""What the integration tests share: a registration service on the backend under test."""

from __future__ import annotations

import pytest

from services.registration.bootstrap import bootstrap


@pytest.fixture
def registration(settings):
    service = bootstrap(settings)
    yield service
    service.close()
