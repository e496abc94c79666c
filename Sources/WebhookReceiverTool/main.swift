// Placeholder entry point replaced by the webhook receiver tool (see issue 4 work in progress).
print("webhook receiver tool: not built yet")
