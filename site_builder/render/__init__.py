"""Render stage: pages, table grids, Markdown and downloads."""
