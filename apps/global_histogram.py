"""GlobalHistogram: a fixed 10-bin histogram of the values per (rank, step), kept in state."""

from apps.paper_apps import GLOBAL_HISTOGRAM, main

if __name__ == "__main__":
    main(GLOBAL_HISTOGRAM)
