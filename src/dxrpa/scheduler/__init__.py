"""Scheduler: office calendar, schedule rules, the one scheduler process, its lock and executors.

Entry points for other layers: :func:`dxrpa.scheduler.service.enqueue_now` (``dxrpa run NAME --now``)
and :func:`dxrpa.scheduler.service.notify_registered` (call after a robot is (re-)registered).
"""
