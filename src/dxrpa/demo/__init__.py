"""Demo: the sample municipal web app and the scan generator used by `dxrpa demo` and tests."""
