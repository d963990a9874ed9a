"""Stand-ins for the platforms' HTTP APIs, each written from the platform's documentation
(../shared/docs/platforms.md), never from our adapters.

The tests start them on 127.0.0.1 to check every connector against the documented contract;
`webcare sandbox` starts them beside the server so a newcomer can play the customer on one
machine. They keep what they accepted on their own side, so both judge by what arrived.
"""
