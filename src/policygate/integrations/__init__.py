"""Integrations with the systems where models live (MLflow); each imports its client lazily."""
