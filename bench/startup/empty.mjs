// An empty ES module: the entry point of the start-up benchmark's ESM variants.
