"""AI-OCR: load scans → align to the blank form → recognize each field → normalize → validate."""
