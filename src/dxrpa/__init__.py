"""dxrpa: RPA + AI-OCR for municipal back offices.

Robots declared in YAML drive a browser with Playwright, OCR reads scanned Japanese forms
offline, a scheduler runs robots on the office calendar, and a ledger records the hours saved.
"""

__version__ = "0.1.0"
