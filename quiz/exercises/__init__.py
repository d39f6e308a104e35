"""Support code for the coding exercises (data loading, the multi-worker launcher). May import TensorFlow."""
