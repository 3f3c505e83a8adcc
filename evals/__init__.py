"""The eval suite: dialogue datasets replayed through the whole stack (not shipped)."""
