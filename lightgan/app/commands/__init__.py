"""lightgan's own subcommands (Lightning's fit/validate/test/predict live in ``lightgan.app.cli``)."""
