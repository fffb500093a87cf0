"""The vendor's company profile: one page per section, each with the eligibility preview.

Views are thin: find the company through ``companies_for`` (another vendor's company is a 404,
never a 403, so its existence does not leak), validate a form, call one service, redirect with a
message. Reads come from ``applicants.selectors``, the preview from ``applicants.preview``.
"""
