"""quiz: practise AI-engineering interview questions in the terminal."""

__version__ = "0.1.0"
