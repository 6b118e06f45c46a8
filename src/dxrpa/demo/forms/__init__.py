"""Demo application forms: layouts, blank images and template YAML."""
