"""Where raw pages come from."""
