"""make bench: every benchmark, each printing its own figures."""
from bench import pipeline

if __name__ == "__main__":
    pipeline.main()
