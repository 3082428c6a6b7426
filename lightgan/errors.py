"""Errors that reach the user as one clear message instead of a traceback."""


class LightGANError(Exception):
    """Base for user-facing errors; the CLI prints the message and exits with status 2."""


class ConfigError(LightGANError, ValueError):
    """A configuration value is invalid; the message names the value and the fix."""


class DatasetNotFoundError(LightGANError, FileNotFoundError):
    """A data root is missing or holds no dataset; the message says where to get it."""


class DatasetError(LightGANError):
    """Files of a dataset exist but cannot be used (unreadable images, none readable at all)."""
