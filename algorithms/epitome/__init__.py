"""Trained epitomes: patch likelihoods, training, patch sampling, the model file and training outputs."""
