"""One module per isolation layer; each applies itself in the child and says why not.

Every `apply`/`prepare` function either succeeds or raises `LayerUnavailable` with a
reason a person can act on; the child records which layers ended up active.
"""

from __future__ import annotations


class LayerUnavailable(Exception):
    """The platform does not offer this layer (the message says why)."""
