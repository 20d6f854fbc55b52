"""Bounds of the `offset` and `page` query parameters every paginated endpoint shares."""

# SQL's OFFSET is a signed 64-bit integer: a larger one made the database raise (a 500).
# A billion rows is far past any real listing, and page x the largest limit (100) stays under.
MAX_OFFSET = 1_000_000_000
MAX_PAGE = MAX_OFFSET // 100
