"""Layer 5: training with PyTorch Lightning (not yet built; imports torch lazily when it is)."""
