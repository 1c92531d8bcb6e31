"""Makes ``pytest graders/NN_topic`` grade directly, through the torchgrade plugin."""

from graders.plugin import (  # noqa: F401 - pytest finds hooks and fixtures by name here
    pytest_addoption,
    pytest_collection_finish,
    pytest_configure,
    pytest_json_modifyreport,
    pytest_json_runtest_metadata,
    pytest_runtest_call,
    pytest_runtest_logstart,
    pytest_runtest_makereport,
    run,
)
