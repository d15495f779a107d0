"""SUM: StatelessSUM's per-(rank, step) sums accumulated across batches in state, 20 s timeout."""

from apps.paper_apps import SUM, main

if __name__ == "__main__":
    main(SUM)
