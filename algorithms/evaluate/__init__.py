"""Accuracy of label maps: confusion matrices, scores, reports."""
