"""`risk-report`: the command line, the single entry point for operators and newcomers."""
