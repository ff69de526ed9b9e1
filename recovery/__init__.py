"""recovery: a self-hosted post-run recovery coach for runners with a GPS watch."""

__version__ = "0.1.0"
