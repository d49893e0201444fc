"""Developer tools: a local app server for browser checks and the screenshot script."""
