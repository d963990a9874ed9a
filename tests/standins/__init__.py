"""Local stand-ins for the platforms we talk to: real HTTP servers on 127.0.0.1."""
