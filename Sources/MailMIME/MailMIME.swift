// Filled by the MIME issue.
