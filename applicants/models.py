"""Vendor accounts, companies, partners and applications (arriving with step 2)."""
