import sys

from customizer.cli import main

sys.exit(main())
