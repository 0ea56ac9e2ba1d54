"""The ``ecgchat`` command-line entry point (see :mod:`ecgchat.cli`)."""
