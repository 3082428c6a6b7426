"""The application: the ``lightgan`` command, its subcommands, run folders and experiment tracking."""
