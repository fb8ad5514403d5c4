"""Breaking-change detection between two releases of the SDK (``hokusai-contracts diff OLD NEW``)."""
