"""Webcare: one shared team inbox for answering customers on social media, e-mail and chat."""

__version__ = "0.1.0"
