"""Notifications: mail through the city's SMTP relay and webhooks (Teams, LINE WORKS, Slack-style).

* :mod:`.config` — ``configs/notify.yaml``: channels, rules per robot or 課, delivery limits;
  every problem reported at ``file:line:col``.
* :mod:`.events` — what happened (a run failed or partly failed, a robot defect, items waiting
  for staff, OCR fields waiting for review, the scheduler lock lost), as facts without personal
  data: robot name, counts, status words, run id, console link.
* :mod:`.messages` — the Japanese (or English) text and each webhook's JSON shape.
* :mod:`.channels` — SMTP and HTTP delivery; a failure becomes one short line without the body.
* :mod:`.outbox` — rules → outbox rows (``notify_outbox``), delivery with exponential backoff.
* :mod:`.hooks` — the small calls the run's child process, the CLI and the scheduler make; they
  never raise, so a notification can never change a run's outcome.

Floor: above :mod:`dxrpa.engine` (it reads secrets), below :mod:`dxrpa.scheduler` (which calls it).
"""
