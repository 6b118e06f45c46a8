"""Running robots: definitions, templating, steps, data sources, the item loop and its durability."""
