"""Helpers for the live-update tests.

`channels.testing` imports daphne at package level for ChannelsLiveServerTestCase, which we do
not use (we serve with uvicorn; django/channels#1942). Its WebsocketCommunicator needs only
asgiref, so when daphne is absent an empty `daphne.testing` stands in for that one import.
"""

import importlib.util
import sys
import types

if importlib.util.find_spec("daphne") is None:
    _daphne_testing = types.ModuleType("daphne.testing")
    _daphne_testing.DaphneProcess = None  # type: ignore[attr-defined]
    sys.modules.setdefault("daphne", types.ModuleType("daphne"))
    sys.modules.setdefault("daphne.testing", _daphne_testing)
