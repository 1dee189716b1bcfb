"""The office configuration: one ``config.yaml`` describes one office, read by every command.

The package's API is what this module names; its parts:

* ``schema``   — every setting declared as data with its help text (``Config`` and its sections);
* ``building`` — YAML values into typed settings, every problem collected with its key path;
* ``rules``    — the rules spanning fields (unique ids, known references, long secrets);
* ``loading``  — ``load_config(path)``, the one loader, raising ``ConfigError``;
* ``alerts``   — the alert settings' rules, also for the dashboard's settings form (``build_alerts``).

Secrets and the database URL can come from the environment: any string value may be written
``${NAME}`` or ``${NAME:-default}`` and is replaced by that environment variable.
Pure Python: the counter tablet runs this on Android.
"""

from sync.config.alerts import build_alerts
from sync.config.loading import DEFAULT_CONFIG_PATH, ConfigError, load_config
from sync.config.schema import (
    OFFICIAL_REASONS,
    STANDARD_LEVELS,
    Alerts,
    Config,
    Label,
    Level,
    NumberBlock,
    Printer,
    Sync,
    describe_keys,
    parse_working_hours,
)

__all__ = ["DEFAULT_CONFIG_PATH", "OFFICIAL_REASONS", "STANDARD_LEVELS", "Alerts", "Config", "ConfigError", "Label",
           "Level", "NumberBlock", "Printer", "Sync", "build_alerts", "describe_keys", "load_config",
           "parse_working_hours"]
