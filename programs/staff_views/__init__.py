"""The staff workspace, mounted at ``/staff/`` (``programs.staff_urls``).

Every view reaches its program through ``programs.tenancy`` (see ``access``) and reads through
``programs.staff_selectors``; writes go through the services.
"""
