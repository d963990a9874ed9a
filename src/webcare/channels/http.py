"""The one HTTP client adapters call platforms with.

Shared because building an httpx client costs ~50 ms (it loads the CA bundle into a new TLS
context): per request that was most of a reply's cost. httpx clients are thread-safe and keep
connections to a platform open between replies.
"""

import functools

import httpx


@functools.cache
def client() -> httpx.Client:
    # Platforms must answer themselves; a redirect on a send is an error to report, not follow.
    return httpx.Client(follow_redirects=False)
