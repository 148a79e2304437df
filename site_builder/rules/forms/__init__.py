"""Evaluation forms (附件) as data: the form kinds of ``site_builder/standards/forms/`` and their rules."""
