"""Key performance indicators of the reporting chain (issue 19 item 10): pure definitions in
``kpi.rules``, the scoped queries in ``kpi.service``."""
