"""The language server side: pygls handlers and what only they need (docs/protocol.md).

Nothing in this package imports torch or runs user code; the sandbox does both.
"""
