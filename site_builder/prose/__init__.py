"""Prose (概况, 情况说明, attachment texts): computed figures referenced from the tables."""
