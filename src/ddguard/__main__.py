import sys

from ddguard.cli import main

sys.exit(main())
