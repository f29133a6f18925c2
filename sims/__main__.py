import sys

from sims.engine.cli import main

sys.exit(main())
