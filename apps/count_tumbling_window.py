"""Count-based tumbling window, one of GOVERNOR's four window operators (apps/window_apps.py)."""

from apps.window_apps import main

if __name__ == "__main__":
    main("count_tumbling_window")
