"""Pure data definitions (pydantic v2): robots, schedules, OCR forms, results."""
