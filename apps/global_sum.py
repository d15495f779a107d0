"""GlobalSUM: per (rank, step), a local mean per batch and a global mean across batches in state."""

from apps.paper_apps import GLOBAL_SUM, main

if __name__ == "__main__":
    main(GLOBAL_SUM)
