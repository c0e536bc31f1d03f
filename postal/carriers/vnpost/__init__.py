"""The VNPost customer-partner API adapter (MyVNPost shape, SPEC §9)."""
