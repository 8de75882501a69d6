"""`python -m smsgate` runs the command line."""

from smsgate.cli import main

main()
