"""Android entry point: python-for-android (buildozer.spec) starts ``main.py``; this is the counter tablet.

On a desktop run ``tablet-rating`` instead. The configuration is the ``config.yaml`` packed
next to this file (or the file named by ``THUOCDO_CONFIG``); the tablet keeps its data in the
app's private user data folder (see ``tablet_rating/tablet_app.py``).
"""

import sys

from tablet_rating.cli import main

if __name__ == "__main__":
    sys.exit(main([]))
