"""Showing and saving comparisons: tables, JSON and CSV files, plots, and diffs of two saved runs."""
