"""site_builder: static transparency portals for 部门决算公开 (final-accounts disclosures)."""

__version__ = "0.1.0"
