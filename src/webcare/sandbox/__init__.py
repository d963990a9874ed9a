"""The sandbox: Webcare beside stand-ins of the platforms, so one machine shows a full round
trip (a customer posts on a "platform", an agent answers, the answer lands there)."""
