"""Manager reports of the hours-saved ledger: .xlsx (openpyxl), self-contained HTML, CSV and text."""

from dxrpa.reports.data import ReportData, build_report
from dxrpa.reports.export import FORMATS, export_report

__all__ = ["FORMATS", "ReportData", "build_report", "export_report"]
